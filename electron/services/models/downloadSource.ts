/**
 * What a download source names, before any byte of the model is fetched: an http(s) URL, or a
 * Hugging Face reference.
 *
 * - `https://host/path/file.gguf`            -> that URL; the file name is the last path segment.
 * - `hf:owner/repo/path/file.gguf[#rev]`      -> `<endpoint>/owner/repo/resolve/<rev or main>/path/file.gguf`
 *                                              (the Hub's documented file URL; it redirects to the CDN).
 * - `hf:owner/repo:quant` or `hf:owner/repo`  -> the repo's file list (`<endpoint>/api/models/owner/repo/tree/main`),
 *                                              then the one .gguf whose name contains the quant (Q4_K_M ...)
 *                                              as a separate word; none or several is a bad_input naming them.
 *
 * Split models (`-00001-of-00003.gguf`) are refused: the library and the engine load one file.
 */
import { badInput, notFound } from '../../contract/errors.ts';

export const HF_ENDPOINT = 'https://huggingface.co';

const HF_FILE = /^hf:([\w.-]+)\/([\w.-]+)\/(.+\.gguf)(?:#([\w./-]+))?$/i;
const HF_QUANT = /^hf:([\w.-]+)\/([\w.-]+)(?::([\w.-]+))?$/i;
const SPLIT_PART = /-\d{5}-of-\d{5}\.gguf$/i;

/** Checks a source string before any network access; returns it trimmed. */
export function checkSource(source: string): string {
  const s = source.trim();
  if (s.startsWith('hf:')) {
    if (HF_FILE.test(s) || HF_QUANT.test(s)) return s;
    throw badInput(`"${source}" is not a Hugging Face reference: expected hf:owner/repo/path/file.gguf or hf:owner/repo:quant`);
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw badInput(`"${source}" is neither a URL nor a Hugging Face reference (hf:owner/repo/file.gguf)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`"${source}": only http(s) URLs can be downloaded, got ${url.protocol}`);
  return s;
}

export interface ResolvedSource {
  /** The http(s) URL the bytes come from. */
  url: string;
  /** The file name it is saved as in the models folder. */
  fileName: string;
}

export interface ResolveOptions {
  /** The Hub's base URL (tests point it at a local server). */
  hfEndpoint?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Turns a checked source into the URL to fetch and the file name to keep; see the header. */
export async function resolveSource(source: string, options: ResolveOptions = {}): Promise<ResolvedSource> {
  const s = checkSource(source);
  const endpoint = (options.hfEndpoint ?? HF_ENDPOINT).replace(/\/+$/, '');
  let resolved: ResolvedSource;
  const file = HF_FILE.exec(s);
  if (file) {
    const [, owner, repo, filePath, rev] = file as unknown as [string, string, string, string, string | undefined];
    const encodedPath = filePath.split('/').map(encodeURIComponent).join('/');
    resolved = { url: `${endpoint}/${owner}/${repo}/resolve/${encodeURIComponent(rev ?? 'main')}/${encodedPath}`, fileName: filePath.split('/').at(-1)! };
  } else if (s.startsWith('hf:')) {
    const [, owner, repo, quant] = HF_QUANT.exec(s) as unknown as [string, string, string, string | undefined];
    const name = await pickRepoFile(endpoint, owner, repo, quant, source, options);
    resolved = { url: `${endpoint}/${owner}/${repo}/resolve/main/${name.split('/').map(encodeURIComponent).join('/')}`, fileName: name.split('/').at(-1)! };
  } else {
    const last = new URL(s).pathname.split('/').at(-1) ?? '';
    let fileName = last;
    try {
      fileName = decodeURIComponent(last);
    } catch {
      // keep the raw segment
    }
    resolved = { url: s, fileName };
  }
  if (SPLIT_PART.test(resolved.fileName)) {
    throw badInput(`${source}: ${resolved.fileName} is one part of a split model; download a single-file GGUF`, { hint: 'merge the parts with llama-gguf-split --merge, or pick another quantization' });
  }
  return resolved;
}

/** The .gguf in owner/repo whose name holds `quant` as a word (the only .gguf when no quant is given). */
async function pickRepoFile(endpoint: string, owner: string, repo: string, quant: string | undefined, source: string, options: ResolveOptions): Promise<string> {
  const listUrl = `${endpoint}/api/models/${owner}/${repo}/tree/main?recursive=true`;
  let response: Response;
  try {
    response = await fetch(listUrl, { headers: options.headers, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw badInput(`${source}: cannot list the files of ${owner}/${repo}: ${(error as Error).message}`);
  }
  if (response.status === 404) throw notFound(`${source}: no Hugging Face repo ${owner}/${repo} (HTTP 404)`);
  if (!response.ok) throw badInput(`${source}: listing ${owner}/${repo} failed (HTTP ${response.status})`);
  const entries = (await response.json()) as Array<{ type?: string; path?: string }>;
  const ggufs = entries
    .filter((e) => e.type !== 'directory' && typeof e.path === 'string' && e.path.toLowerCase().endsWith('.gguf') && !/mmproj/i.test(e.path))
    .map((e) => e.path!);
  if (ggufs.length === 0) throw badInput(`${source}: ${owner}/${repo} holds no .gguf file`);
  let matches = ggufs;
  if (quant !== undefined) {
    const word = new RegExp(`(^|[^a-z0-9_])${quant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-z0-9_]|$)`, 'i');
    matches = ggufs.filter((p) => word.test(p.split('/').at(-1)!.replace(/\.gguf$/i, '')));
  }
  const single = matches.filter((p) => !SPLIT_PART.test(p));
  const chosen = single.length === 1 ? single : matches;
  if (chosen.length === 1) return chosen[0]!;
  const listed = ggufs.slice(0, 12).join(', ') + (ggufs.length > 12 ? ` and ${ggufs.length - 12} more` : '');
  if (chosen.length === 0) throw badInput(`${source}: no .gguf in ${owner}/${repo} matches "${quant}"; it has ${listed}`);
  throw badInput(`${source}: ${chosen.length} files in ${owner}/${repo} match${quant ? ` "${quant}"` : ''}: ${chosen.join(', ')}; name one with hf:${owner}/${repo}/<file>.gguf`);
}
