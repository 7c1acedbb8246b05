/**
 * The designer's live preview: options (N, seed, set, variant, mirror, honesty prompt) and the
 * latest `scenarios.preview` result for the draft. Requests are debounced and only the answer for
 * the latest request is kept.
 */
import type { PreviewResult } from '../../../electron/contract/api.ts';
import { api, errorDataOf } from '../api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';

/** Milliseconds of quiet before the preview is rendered again. */
const PREVIEW_DELAY_MS = 300;

export interface PreviewOptions {
  n: number;
  seed: number;
  set: 'train' | 'probe';
  /** Empty string: the main scenario. */
  variant: string;
  mirror: boolean;
  honestyPrompt: boolean;
}

export class PreviewState {
  options = $state<PreviewOptions>({ n: 6, seed: 0, set: 'train', variant: '', mirror: false, honestyPrompt: false });
  result = $state.raw<PreviewResult | null>(null);
  error = $state.raw<ErrorData | null>(null);
  pending = $state(false);

  #timer: ReturnType<typeof setTimeout> | undefined;
  #request = 0;

  /** Renders `packJson` with the current options after a short pause. */
  schedule(packJson: string): void {
    const options = { ...this.options };
    this.pending = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#render(packJson, options), PREVIEW_DELAY_MS);
  }

  async #render(packJson: string, o: PreviewOptions): Promise<void> {
    const request = ++this.#request;
    try {
      const n = Number.isFinite(o.n) ? Math.min(500, Math.max(1, Math.round(o.n))) : 6;
      const seed = Number.isFinite(o.seed) ? Math.max(0, Math.round(o.seed)) : 0;
      const result = await api['scenarios.preview']({
        pack: JSON.parse(packJson),
        n,
        seed,
        set: o.set,
        ...(o.variant ? { variant: o.variant } : {}),
        mirror: o.mirror,
        honestyPrompt: o.honestyPrompt,
      });
      if (request !== this.#request) return;
      this.result = result;
      this.error = null;
    } catch (error) {
      if (request !== this.#request) return;
      this.error = errorDataOf(error);
    } finally {
      if (request === this.#request) this.pending = false;
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
