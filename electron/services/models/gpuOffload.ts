/**
 * GPU offload for the models node-llama-cpp loads (evaluation, experiments): what the runtime found
 * (backend, devices, VRAM), the user's setting, and what 'auto' would pick for a given model.
 *
 * The setting lives in `app_settings` under `models.gpuLayers` ("auto" or a layer count as JSON) and
 * is handed to the runtime (llamaRuntime.configureLlamaRuntime({gpuLayers})) when the services start
 * and whenever it changes, so every later `loadModel` without its own gpuLayers uses it.
 * 'auto' is node-llama-cpp's fit against free VRAM (GgufInsights' configuration resolver, the same
 * code `loadModel({gpuLayers: 'auto'})` runs); on a CPU-only runtime it is 0.
 *
 * Not here: which backend is used (SOO_LAB_GPU, fixed for the process: llamaRuntime.ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import { GgufInsights } from 'node-llama-cpp';
import type { GpuOffloadView } from '../../contract/models.ts';
import { badInput } from '../../contract/errors.ts';
import { configureLlamaRuntime, sharedLlama } from './llamaRuntime.ts';
import { readGgufHeader } from './modelFile.ts';

export const GPU_LAYERS_KEY = 'models.gpuLayers';

export type GpuLayersSetting = 'auto' | number;

export class GpuOffload {
  readonly #get: Statement<[string], { value: string }>;
  readonly #put: Statement<[string, string]>;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare('SELECT value FROM app_settings WHERE key = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)');
  }

  /** The recorded setting ('auto' when none, or when the stored value is unreadable). */
  setting(): GpuLayersSetting {
    const row = this.#get.get(GPU_LAYERS_KEY);
    if (!row) return 'auto';
    try {
      const value = JSON.parse(row.value) as unknown;
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 'auto';
    } catch {
      return 'auto';
    }
  }

  /** Hands the recorded setting to the runtime (at startup). */
  apply(): void {
    configureLlamaRuntime({ gpuLayers: this.setting() });
  }

  /** Records a new setting and hands it to the runtime. */
  set(value: GpuLayersSetting): GpuLayersSetting {
    if (value !== 'auto' && !(Number.isInteger(value) && value >= 0)) throw badInput(`gpuLayers must be "auto" or a whole number >= 0, got ${String(value)}`);
    this.#db.transaction(() => this.#put.run(GPU_LAYERS_KEY, JSON.stringify(value))).immediate();
    configureLlamaRuntime({ gpuLayers: value });
    return value;
  }

  /** Backend, devices, VRAM, the setting, and (for `modelPath`) the layers 'auto' offloads. Starts the runtime. */
  async view(modelPath?: string): Promise<GpuOffloadView> {
    const llama = await sharedLlama();
    const backend = llama.gpu;
    const vram = backend === false ? null : await llama.getVramState();
    const devices = backend === false ? [] : await llama.getGpuDeviceNames();
    let auto: GpuOffloadView['auto'] = null;
    if (modelPath !== undefined) {
      const { path, info } = await readGgufHeader(modelPath);
      const insights = await GgufInsights.from(info, llama);
      const gpuLayers = backend === false ? 0 : (await insights.configurationResolver.resolveModelGpuLayersV2('auto')).gpuLayers;
      auto = { modelPath: path, gpuLayers, totalLayers: insights.totalLayers };
    }
    return { backend, devices, vram: vram ? { total: vram.total, free: vram.free } : null, setting: this.setting(), auto };
  }
}
