/**
 * What `taps` and `latent` share: the services with the engine (stopped before the command returns),
 * the --layers / --lora-scale parsers, and plain progress lines on stderr.
 */
import { badInput } from '../../contract/errors.ts';
import type { JobProgress } from '../../contract/events.ts';
import { createServices, type Services } from '../../services/index.ts';
import { resolveDbPath, type GlobalOptions } from '../command-kit.ts';

/** Runs `fn` with the services and waits for the engine process to exit afterwards. */
export async function withEngineServices<T>(options: GlobalOptions, fn: (services: Services) => Promise<T>): Promise<T> {
  const services = createServices({ dbPath: resolveDbPath(options) });
  try {
    return await fn(services);
  } finally {
    await services.disposeAsync();
  }
}

/** "0,3,5" -> [0, 3, 5]; anything else is bad input naming the flag. */
export function parseLayerList(flag: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((p) => p.trim());
    const layers = parts.map(Number);
    const bad = parts.find((p, i) => p === '' || !Number.isInteger(layers[i]) || layers[i]! < 0);
    if (bad !== undefined) throw badInput(`${flag} must be comma-separated layer numbers (0-based), like 0,3,5; got "${value}" ("${bad}" is not one)`);
    return layers;
  };
}

/** A finite number flag. */
export function parseNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw badInput(`${flag} must be a number, got "${value}"`);
    return n;
  };
}

/** Plain progress lines ("latent: base: layers 0-11 40% (512/1280 tokens)"), at most one per 10% and stage. */
export function progressLines(command: string): (p: Omit<JobProgress, 'jobId' | 'kind'>) => void {
  let last = '';
  return (p) => {
    const percent = p.total ? Math.floor((10 * p.done) / p.total) * 10 : null;
    const key = `${p.stage}|${percent}`;
    if (key === last) return;
    last = key;
    const amount = p.total ? ` ${percent}% (${p.done}/${p.total} ${p.unit})` : '';
    process.stderr.write(`${command}: ${p.stage}${amount}\n`);
  };
}
