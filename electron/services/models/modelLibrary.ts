/**
 * The model library: the GGUF files in the app's models folder (`<data dir>/models`, where
 * downloads go) plus external files the user registered by path (kept in `app_settings` under
 * `models.external`, a JSON array of absolute paths). For each, what the header says, read with
 * node-llama-cpp's `readGgufFileInfo` (no tensor data is read): architecture, layers, n_embd,
 * heads, training context, file type (quantization), whether a chat template is present, the
 * parameter count from the tensor shapes. A file that cannot be read is listed with its `error`.
 *
 * Not here: downloading (download.ts), hashing (modelHash.ts), loading (modelFile.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { GgufFileType, type GgufFileInfo } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';
import { defaultDataDir } from '../paths.ts';
import { readGgufHeader } from './modelFile.ts';

export const EXTERNAL_MODELS_KEY = 'models.external';

/** `<data dir>/models`: where downloads go and what the library lists first. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultDataDir(env), 'models');
}

export interface ModelInfo {
  path: string;
  fileName: string;
  /** `library`: in the models folder; `external`: registered by path. */
  source: 'library' | 'external';
  /** File size in bytes, and modification time (ms since the epoch). */
  bytes: number;
  mtimeMs: number;
  /** general.name, when present. */
  name: string | null;
  architecture: string | null;
  /** block_count */
  layers: number | null;
  /** embedding_length */
  nEmbd: number | null;
  /** attention.head_count */
  heads: number | null;
  /** context_length (training context). */
  contextLength: number | null;
  /** general.file_type as llama.cpp names it ("MOSTLY_Q8_0", "ALL_F32"), or null. */
  fileType: string | null;
  /** tokenizer.chat_template present. */
  chatTemplate: boolean;
  /** The chat template's text, when present. */
  chatTemplateText: string | null;
  /** GGUF general.type: "model" (or absent) vs "adapter" (a LoRA adapter). */
  type: string;
  /** Sum of the tensors' element counts. */
  parameters: number | null;
  /** Why the header could not be read; the other fields are then null. */
  error?: string;
}

/** Metadata fields from a parsed header (exported for tests). */
export function describeGguf(info: GgufFileInfo): Omit<ModelInfo, 'path' | 'fileName' | 'source' | 'bytes' | 'mtimeMs'> {
  const general = info.metadata?.general as { name?: string; architecture?: string; file_type?: number; type?: string } | undefined;
  const arch = info.architectureMetadata as { block_count?: number; embedding_length?: number; context_length?: number; attention?: { head_count?: number } } | undefined;
  const fileType = typeof general?.file_type === 'number' ? (GgufFileType[general.file_type] ?? String(general.file_type)) : null;
  const parameters = info.fullTensorInfo?.reduce((sum, t) => sum + t.dimensions.reduce<number>((p, d) => p * Number(d), 1), 0) ?? null;
  return {
    name: general?.name ?? null,
    architecture: general?.architecture ?? null,
    layers: arch?.block_count ?? null,
    nEmbd: arch?.embedding_length ?? null,
    heads: typeof arch?.attention?.head_count === 'number' ? arch.attention.head_count : null,
    contextLength: arch?.context_length ?? null,
    fileType,
    chatTemplate: typeof info.metadata?.tokenizer?.chat_template === 'string',
    chatTemplateText: typeof info.metadata?.tokenizer?.chat_template === 'string' ? info.metadata.tokenizer.chat_template : null,
    type: general?.type ?? 'model',
    parameters,
  };
}

export interface ModelLibraryOptions {
  /** The app database (app_settings). */
  db: Database;
  /** The models folder. Defaults to defaultModelsDir(). */
  modelsDir?: string;
}

export class ModelLibrary {
  readonly modelsDir: string;
  readonly #getSetting: Statement<[string], { value: string }>;
  readonly #putSetting: Statement<[string, string]>;
  readonly #db: Database;

  constructor(options: ModelLibraryOptions) {
    this.#db = options.db;
    this.modelsDir = path.resolve(options.modelsDir ?? defaultModelsDir());
    this.#getSetting = options.db.prepare('SELECT value FROM app_settings WHERE key = ?');
    this.#putSetting = options.db.prepare('INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)');
  }

  /** The registered external paths. */
  externalPaths(): string[] {
    const row = this.#getSetting.get(EXTERNAL_MODELS_KEY);
    if (!row) return [];
    const parsed = JSON.parse(row.value) as unknown;
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
  }

  /** Every .gguf in the models folder (sorted by name), then every external path (in the order added). */
  async list(): Promise<ModelInfo[]> {
    let names: string[] = [];
    try {
      names = (await fs.readdir(this.modelsDir)).filter((n) => n.toLowerCase().endsWith('.gguf')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const inFolder = await Promise.all(names.map((n) => this.#describe(path.join(this.modelsDir, n), 'library')));
    const external = await Promise.all(this.externalPaths().map((p) => this.#describe(p, 'external')));
    return [...inFolder, ...external];
  }

  /** Registers a GGUF outside the models folder (checked first); returns its info. Idempotent. */
  async addExternal(file: string): Promise<ModelInfo> {
    const { path: absolute } = await readGgufHeader(file);
    const paths = this.externalPaths();
    if (!paths.includes(absolute)) {
      this.#db.transaction(() => this.#putSetting.run(EXTERNAL_MODELS_KEY, JSON.stringify([...paths, absolute]))).immediate();
    }
    return this.#describe(absolute, 'external');
  }

  /** Forgets an external path (the file is not touched); true if it was registered. */
  removeExternal(file: string): boolean {
    const absolute = path.resolve(file);
    const paths = this.externalPaths();
    if (!paths.includes(absolute)) return false;
    this.#db.transaction(() => this.#putSetting.run(EXTERNAL_MODELS_KEY, JSON.stringify(paths.filter((p) => p !== absolute)))).immediate();
    return true;
  }

  /** The info of one file, wherever it is. */
  async info(file: string): Promise<ModelInfo> {
    const absolute = path.resolve(file);
    if (!absolute.toLowerCase().endsWith('.gguf') && !(await fs.stat(absolute).catch(() => null))) throw badInput(`${absolute}: no such file`, { file: absolute });
    return this.#describe(absolute, path.dirname(absolute) === this.modelsDir ? 'library' : 'external');
  }

  async #describe(file: string, source: ModelInfo['source']): Promise<ModelInfo> {
    const base = { path: file, fileName: path.basename(file), source };
    const stat = await fs.stat(file).catch(() => null);
    const empty = { name: null, architecture: null, layers: null, nEmbd: null, heads: null, contextLength: null, fileType: null, chatTemplate: false, chatTemplateText: null, type: 'model', parameters: null };
    if (!stat) return { ...base, bytes: 0, mtimeMs: 0, ...empty, error: 'no such file' };
    try {
      const { info } = await readGgufHeader(file);
      return { ...base, bytes: stat.size, mtimeMs: stat.mtimeMs, ...describeGguf(info) };
    } catch (error) {
      return { ...base, bytes: stat.size, mtimeMs: stat.mtimeMs, ...empty, error: (error as Error).message };
    }
  }
}
