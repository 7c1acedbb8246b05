/**
 * Unknown fields in a scenario pack: the zod shape strips keys it does not know, so a typo such as
 * `mirrortemplate` would vanish silently. This walks the raw input and reports each unknown key with
 * its JSON path. Only objects whose place in the format is known are checked; wrong types are zod's job.
 */
import type { ErrorIssue } from '../../contract/errors.ts';
import { jsonPath } from '../api/dispatch.ts';

/** Fields the format knows, per object; anything else is most likely a typo ("mirrortemplate"). */
const KNOWN_FIELDS = {
  pack: ['$schema', 'format', 'id', 'name', 'description', 'kind', 'lists', 'placeholders', 'phrases', 'pairs', 'test', 'variants'],
  list: ['description', 'train', 'test'],
  placeholder: ['list', 'description', 'role'],
  pairs: ['train', 'probe'],
  pair: ['id', 'self', 'other'],
  test: ['template', 'mirrorTemplate', 'decision', 'answerFormat', 'honestyPrompt'],
  decision: ['deceptive', 'honest'],
  variant: ['id', 'description', 'advises', 'phrases', 'lists', 'test'],
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function unknownFieldIssues(input: unknown): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const check = (value: unknown, known: readonly string[], path: string) => {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) issues.push({ path: `${path}${jsonPath([key]).slice(1)}`, message: `unknown field "${key}" (expected one of: ${known.join(', ')})` });
    }
  };
  const eachEntry = (value: unknown, known: readonly string[], path: string) => {
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) check(v, known, `${path}${jsonPath([k]).slice(1)}`);
  };
  const eachItem = (value: unknown, known: readonly string[], path: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => check(v, known, `${path}[${i}]`));
  };
  const checkTest = (value: unknown, path: string) => {
    check(value, KNOWN_FIELDS.test, path);
    if (isRecord(value)) check(value.decision, KNOWN_FIELDS.decision, `${path}.decision`);
  };
  if (!isRecord(input)) return issues;
  check(input, KNOWN_FIELDS.pack, '$');
  eachEntry(input.lists, KNOWN_FIELDS.list, '$.lists');
  eachEntry(input.placeholders, KNOWN_FIELDS.placeholder, '$.placeholders');
  check(input.pairs, KNOWN_FIELDS.pairs, '$.pairs');
  if (isRecord(input.pairs)) {
    eachItem(input.pairs.train, KNOWN_FIELDS.pair, '$.pairs.train');
    eachItem(input.pairs.probe, KNOWN_FIELDS.pair, '$.pairs.probe');
  }
  checkTest(input.test, '$.test');
  eachItem(input.variants, KNOWN_FIELDS.variant, '$.variants');
  if (Array.isArray(input.variants)) {
    input.variants.forEach((v, i) => {
      if (!isRecord(v)) return;
      eachEntry(v.lists, KNOWN_FIELDS.list, `$.variants[${i}].lists`);
      checkTest(v.test, `$.variants[${i}].test`);
    });
  }
  return issues;
}
