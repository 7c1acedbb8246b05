/**
 * Seeded randomness for pairs and test prompts: same seed, same values, on every machine.
 *
 * Each draw gets its own stream, keyed by (seed, purpose, instance index, list name), so the values
 * of one list do not depend on how many values another list has. That keeps a rendered prompt's rooms
 * and objects unchanged when a variant only swaps the other party's name list, and keeps the mirrored
 * prompt's values equal to the plain one's.
 *
 * Generator: xoroshiro128+ from pure-rand, seeded with a 32-bit hash of the stream key.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Placeholder, ValueList } from '../../contract/scenario-pack.ts';

type Rng = ReturnType<typeof xoroshiro128plus>;

/** FNV-1a over the key's UTF-16 code units, then a murmur3 finaliser so nearby keys spread out. */
function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** A generator for one stream: `parts` name the purpose, instance and list. */
export function streamFor(seed: number, ...parts: (string | number)[]): Rng {
  return xoroshiro128plus(hash32([String(seed), ...parts.map(String)].join('\u0000')));
}

/** `k` distinct indices in [0, size), in draw order (a partial Fisher-Yates shuffle). Requires k <= size. */
export function drawDistinct(rng: Rng, size: number, k: number): number[] {
  const pool = Array.from({ length: size }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = uniformInt(rng, i, size - 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    out.push(pool[i]!);
  }
  return out;
}

/**
 * Draws one value per placeholder in `names` for one instance. Placeholders sharing a list get
 * distinct values. `split` picks the list's train or test values. The result keeps the order of `names`.
 * Throws a plain Error if a list is missing or too short (validation reports those first).
 */
export function drawValues(
  names: readonly string[],
  placeholders: Readonly<Record<string, Placeholder>>,
  lists: Readonly<Record<string, ValueList>>,
  split: 'train' | 'test',
  seed: number,
  stream: string,
  instance: number,
): Record<string, string> {
  const byList = new Map<string, string[]>();
  for (const name of names) {
    const list = placeholders[name]?.list;
    if (list === undefined) throw new Error(`"{${name}}" is not a placeholder`);
    byList.set(list, [...(byList.get(list) ?? []), name]);
  }
  const drawn: Record<string, string> = {};
  for (const [listName, members] of byList) {
    const values = lists[listName]?.[split];
    if (!values) throw new Error(`placeholder list "${listName}" does not exist`);
    if (values.length < members.length) {
      throw new Error(`list "${listName}" has ${values.length} ${split} values; ${members.length} placeholders need distinct ones`);
    }
    const picks = drawDistinct(streamFor(seed, stream, instance, listName), values.length, members.length);
    members.forEach((name, k) => (drawn[name] = values[picks[k]!]!));
  }
  const ordered: Record<string, string> = {};
  for (const name of names) ordered[name] = drawn[name]!;
  return ordered;
}
