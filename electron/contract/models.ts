/**
 * Shapes of the Models page's contract entries (api.ts: models.library, models.open, models.download,
 * models.gpu ...). Plain JSON; sizes in bytes, times in ms since the epoch. No node or electron imports.
 */

/** What a GGUF header says about one model file (read without loading any weights). */
export interface ModelFileInfo {
  path: string;
  fileName: string;
  /** `library`: in the models folder; `external`: a file elsewhere that the user opened by path. */
  source: 'library' | 'external';
  bytes: number;
  mtimeMs: number;
  /** general.name, when present. */
  name: string | null;
  /** general.architecture ("llama", "qwen2", ...). */
  architecture: string | null;
  /** <arch>.block_count: transformer blocks. */
  layers: number | null;
  /** <arch>.embedding_length (n_embd). */
  nEmbd: number | null;
  /** <arch>.attention.head_count. */
  heads: number | null;
  /** <arch>.context_length: the training context, tokens. */
  contextLength: number | null;
  /** general.file_type as llama.cpp names it ("MOSTLY_Q8_0", "ALL_F32"): the quantization. */
  fileType: string | null;
  /** tokenizer.chat_template is present. */
  chatTemplate: boolean;
  /** The chat template's Jinja text, when present. */
  chatTemplateText?: string | null;
  /** general.type: "model" (or absent) vs "adapter" (a LoRA adapter). */
  type: string;
  /** Sum of the tensors' element counts. */
  parameters: number | null;
  /** Why the header could not be read; the metadata fields are then null. */
  error?: string;
}

/** A download that stopped before the end (cut, cancelled, app closed): the next download of the same source continues it. */
export interface PartialDownloadInfo {
  /** The source it was started from (URL or hf: reference), as given. */
  source: string;
  /** The file it will become in the models folder. */
  fileName: string;
  /** Bytes on disk so far, of `totalBytes` (null when the server never said). */
  bytesDone: number;
  totalBytes: number | null;
}

export interface ModelLibraryView {
  /** The models folder (downloads go here). */
  modelsDir: string;
  /** The folder's GGUFs by name, then the external files in the order they were opened. */
  models: ModelFileInfo[];
  /** Unfinished downloads in the models folder. */
  partial: PartialDownloadInfo[];
}

/** The result of a `models.download` job (delivered by onJobDone). */
export interface DownloadedModelInfo {
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes that were already on disk from an earlier, unfinished download of the same source (0 = started fresh). */
  resumedFrom: number;
}

/** GPU offload: what llama.cpp found, the user's setting, and what 'auto' picks for one model. */
export interface GpuOffloadView {
  /** The llama.cpp backend in use: "cuda", "vulkan", "metal", or false for the CPU only. */
  backend: string | false;
  /** GPU device names (empty on the CPU). */
  devices: string[];
  /** VRAM in bytes (null on the CPU). */
  vram: { total: number; free: number } | null;
  /** The recorded setting used when evaluation and experiments load a model: 'auto' or a layer count (0 = CPU only). */
  setting: 'auto' | number;
  /** For the model asked about: layers 'auto' would offload (of `totalLayers`, which counts the output layer too). */
  auto: { modelPath: string; gpuLayers: number; totalLayers: number } | null;
}
