/**
 * TensorFlow.js for the RL experiment: the autodiff library (maintained, no native download).
 *
 * `@tensorflow/tfjs` (the union package) is imported because its Node bundle registers the gradient
 * functions (tfjs-core's own Node bundle does not, and its ESM entry cannot be loaded by Node). The
 * WASM backend (its .wasm files ship in the npm package) is about 6x faster than the pure-JS CPU
 * backend at our sizes (batch 1024, 64-64 MLPs). Nothing here downloads anything.
 * `initTf` is idempotent; the backend is process-wide.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };

export type TfBackendName = 'wasm' | 'cpu';

let ready: Promise<TfBackendName> | null = null;

/** Selects the backend once ('wasm' unless SOO_LAB_TF_BACKEND=cpu or `backend` says otherwise). */
export function initTf(backend?: TfBackendName): Promise<TfBackendName> {
  ready ??= (async () => {
    const want = backend ?? (process.env.SOO_LAB_TF_BACKEND === 'cpu' ? 'cpu' : 'wasm');
    const ok = await tf.setBackend(want);
    if (!ok) throw new Error(`TensorFlow.js backend "${want}" could not be initialised`);
    await tf.ready();
    return want;
  })();
  return ready;
}
