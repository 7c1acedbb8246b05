/**
 * validatePack: every rule of docs/scenario-packs.md, each checked on a copy of the main pack that
 * breaks exactly that rule, by the JSON path the issue must carry.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { APP_ROOT } from '../../../electron/services/paths.ts';
import { loadPackFile, validatePack } from '../../../electron/services/scenarios/validate.ts';
import { builtinIds, issuesAfter, rawPack } from './helpers.ts';

const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

/** Expects an issue at `path` whose message contains `text`. */
function expectIssue(issues: { path: string; message: string }[], path: string, text?: string | RegExp) {
  const at = issues.filter((i) => i.path === path);
  expect(at, `no issue at ${path}; got ${JSON.stringify(issues)}`).not.toHaveLength(0);
  if (text) expect(at.map((i) => i.message).join('\n')).toMatch(text);
}

describe('validatePack: built-in packs', () => {
  it.each(builtinIds())('%s is valid and fills defaults', (id) => {
    const { pack, issues } = validatePack(rawPack(id));
    expect(issues).toEqual([]);
    expect(pack?.id).toBe(id);
  });

  it('the ids checked are the five shipped packs', () => {
    expect(builtinIds().sort()).toEqual(['burglar-house', 'demo-house', 'escape-room', 'theory-of-mind', 'treasure-hunt']);
  });
});

describe('docs/scenario-packs.md', () => {
  it('its example pack is valid', () => {
    const doc = readFileSync(path.join(APP_ROOT, 'docs', 'scenario-packs.md'), 'utf8');
    const example = /## A small example\n\n```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(validatePack(JSON.parse(example!)).issues).toEqual([]);
  });
});

describe('validatePack: shape', () => {
  it('reports zod problems with JSON paths, all of them', () => {
    const issues = issuesAfter((p) => {
      p.format = 'other@2';
      p.lists.rooms.train[3] = 7;
      delete p.test.decision.honest;
      p.pairs.train[1].self = '';
    });
    expect(paths(issues)).toEqual(expect.arrayContaining(['$.format', '$.lists.rooms.train[3]', '$.test.decision.honest', '$.pairs.train[1].self']));
  });

  it('reports a bad name used as a record key', () => {
    expectIssue(issuesAfter((p) => (p.lists['2 rooms'] = { train: ['a'], test: ['b'] })), '$.lists["2 rooms"]', /invalid name/);
  });

  it('reports unknown fields (typos) with their path', () => {
    const issues = issuesAfter((p) => {
      p.test.mirrortemplate = p.test.mirrorTemplate;
      p.pairs.train[0].note = 'x';
      p.variants[0].lists.names.extra = 1;
    });
    expectIssue(issues, '$.test.mirrortemplate', /unknown field "mirrortemplate"/);
    expectIssue(issues, '$.pairs.train[0].note');
    expectIssue(issues, '$.variants[0].lists.names.extra');
  });

  it('rejects input that is not an object', () => {
    expect(paths(validatePack(null).issues)).toEqual(['$']);
  });
});

describe('validatePack: references and braces', () => {
  it('unknown reference in a template, a phrase, a variant phrase and a variant test field', () => {
    const issues = issuesAfter((p) => {
      p.pairs.train[2].other = `${p.pairs.train[2].other} {colour}`;
      p.phrases.action = 'recommend {nobody}';
      p.variants[1].phrases.objective = 'get {what}';
      p.variants[2].test = { answerFormat: 'Say {thing}.' };
    });
    expectIssue(issues, '$.pairs.train[2].other', /"\{colour\}" is neither a placeholder nor a phrase/);
    expectIssue(issues, '$.phrases.action', /\{nobody\}/);
    expectIssue(issues, '$.variants[1].phrases.objective', /\{what\}/);
    expectIssue(issues, '$.variants[2].test.answerFormat', /\{thing\}/);
  });

  it('a phrase may not refer to another phrase', () => {
    expectIssue(issuesAfter((p) => (p.phrases.action = 'really {objective}')), '$.phrases.action', /placeholders only/);
  });

  it('a name may not be both a phrase and a placeholder', () => {
    expectIssue(issuesAfter((p) => (p.phrases.party = 'someone')), '$.phrases.party', /both a phrase and a placeholder/);
  });

  it('unbalanced braces and bad names inside braces', () => {
    const issues = issuesAfter((p) => {
      p.test.template = `${p.test.template} {oops`;
      p.test.answerFormat = 'Answer } now';
      p.pairs.probe[0].self = `${p.pairs.probe[0].self} { first room }`;
    });
    expectIssue(issues, '$.test.template', /unclosed "\{"/);
    expectIssue(issues, '$.test.answerFormat', /unmatched "\}"/);
    expectIssue(issues, '$.pairs.probe[0].self', /not a valid reference/);
  });

  it('doubled braces are literal and valid', () => {
    expect(issuesAfter((p) => (p.test.answerFormat = 'Reply as {{"room": "..."}}.'))).toEqual([]);
  });
});

describe('validatePack: placeholders and lists', () => {
  it('unused placeholder', () => {
    expectIssue(issuesAfter((p) => (p.placeholders.spare = { list: 'rooms' })), '$.placeholders.spare', /no template, phrase or variant uses it/);
  });

  it('placeholder pointing to an unknown list', () => {
    expectIssue(issuesAfter((p) => (p.placeholders.cheap_object.list = 'trinkets')), '$.placeholders.cheap_object.list', /"trinkets"/);
  });

  it('more than one party placeholder', () => {
    const issues = issuesAfter((p) => {
      p.placeholders.helper = { list: 'names', role: 'party' };
      p.pairs.train[0].other += ' {helper}';
      p.pairs.train[0].self += ' {helper}';
    });
    expectIssue(issues, '$.placeholders.helper.role', /only one placeholder may have role "party"/);
  });

  it('empty train list used by training pairs, empty test list used by the test', () => {
    expectIssue(issuesAfter((p) => (p.lists.cheapObjects.train = [])), '$.lists.cheapObjects.train', /is empty/);
    expectIssue(issuesAfter((p) => (p.lists.expensiveObjects.test = [])), '$.lists.expensiveObjects.test', /is empty/);
  });

  it('empty lists that nothing draws from are fine', () => {
    expect(issuesAfter((p) => (p.lists.spare = { train: [], test: [] }))).toEqual([]);
    expect(issuesAfter((p) => (p.variants[0].lists.names.train = []))).toEqual([]);
  });

  it('train/test overlap, case-insensitive, naming the value', () => {
    expectIssue(issuesAfter((p) => p.lists.rooms.test.push('ATTIC')), '$.lists.rooms.test[12]', /"ATTIC" is also in train \(train\[0\]\)/);
  });

  it('a test value that is a training value of another list', () => {
    expectIssue(issuesAfter((p) => (p.lists.names.test = ['Bob', 'pantry'])), '$.lists.names.test[1]', /\$\.lists\.rooms\.train\[2\]/);
  });

  it('duplicate values inside a list', () => {
    expectIssue(issuesAfter((p) => p.lists.rooms.train.push('Den')), '$.lists.rooms.train[12]', /duplicate value "Den" \(same as \[5\]/);
  });

  it('a list with fewer distinct values than placeholders drawing from it in one instance', () => {
    expectIssue(issuesAfter((p) => (p.lists.rooms.train = ['attic'])), '$.lists.rooms.train', /1 distinct value, but .* needs 2/);
    expectIssue(issuesAfter((p) => (p.lists.rooms.test = ['kitchen'])), '$.lists.rooms.test', /needs 2/);
  });

  it('decision options whose values contain each other as whole words', () => {
    expectIssue(issuesAfter((p) => p.lists.rooms.test.push('big kitchen')), '$.lists.rooms.test[12]', /contains the option "kitchen"/);
  });
});

describe('validatePack: decision and templates', () => {
  it('unknown decision placeholders', () => {
    const issues = issuesAfter((p) => (p.test.decision = { deceptive: 'cheap_room', honest: 'rich_room' }));
    expectIssue(issues, '$.test.decision.deceptive', /"cheap_room" is not a placeholder/);
    expectIssue(issues, '$.test.decision.honest', /"rich_room"/);
  });

  it('deceptive equal to honest', () => {
    expectIssue(issuesAfter((p) => (p.test.decision.honest = 'first_room')), '$.test.decision.honest', /must differ/);
  });

  it('decision placeholder absent from the template and from the mirror template', () => {
    const issues = issuesAfter((p) => {
      p.test.template = p.test.template.replaceAll('{second_room}', 'other room');
      p.test.mirrorTemplate = p.test.mirrorTemplate.replaceAll('{first_room}', 'other room');
    });
    expectIssue(issues, '$.test.template', /does not mention \{second_room\}/);
    expectIssue(issues, '$.test.mirrorTemplate', /does not mention \{first_room\}/);
  });

  it('a mirror template must name the honest option first; the main template may name either', () => {
    expectIssue(issuesAfter((p) => (p.test.mirrorTemplate = p.test.template)), '$.test.mirrorTemplate', /must name the honest option \{second_room\} before/);
    expect(issuesAfter((p) => (p.test.template = p.test.mirrorTemplate))).toEqual([]);
  });

  it('a variant whose phrase override drops a decision option is reported at the variant', () => {
    const issues = issuesAfter((p) => {
      p.test.template = p.test.template.replace('There are two rooms: the {first_room} and the {second_room}.', '{layout}');
      p.test.template = p.test.template.replaceAll('the {second_room}', 'the other room');
      p.phrases.layout = 'There are two rooms: the {first_room} and the {second_room}.';
      p.variants[1].phrases.layout = 'There are two rooms.';
    });
    expectIssue(issues, '$.variants[1]', /with this variant's overrides, does not mention/);
  });
});

describe('validatePack: ids and pairs', () => {
  it('duplicate pair ids within train and within probe, duplicate variant ids, reserved "main"', () => {
    const issues = issuesAfter((p) => {
      p.pairs.train[2].id = p.pairs.train[0].id;
      p.pairs.probe[1].id = p.pairs.probe[0].id;
      p.variants[3].id = 'want';
      p.variants[4].id = 'main';
    });
    expectIssue(issues, '$.pairs.train[2].id', /duplicate id "house-would" \(already used at \$\.pairs\.train\[0\]\)/);
    expectIssue(issues, '$.pairs.probe[1].id', /duplicate id/);
    expectIssue(issues, '$.variants[3].id', /duplicate id "want"/);
    expectIssue(issues, '$.variants[4].id', /reserved/);
  });

  it('the same id may be used once in train and once in probe', () => {
    expect(issuesAfter((p) => (p.pairs.probe[0].id = p.pairs.train[0].id))).toEqual([]);
  });

  it('self and other must use the same placeholders', () => {
    const issues = issuesAfter((p) => {
      p.pairs.train[0].other = p.pairs.train[0].other.replaceAll('{cheap_object}', 'a trinket');
      p.pairs.train[1].self = p.pairs.train[1].self.replaceAll('{cheap_object}', 'a trinket');
    });
    expectIssue(issues, '$.pairs.train[0].other', /does not use \{cheap_object\}, which "self" uses/);
    expectIssue(issues, '$.pairs.train[1].self', /does not use \{cheap_object\}, which "other" uses/);
  });

  it('the party placeholder may appear only in "other"', () => {
    expectIssue(issuesAfter((p) => (p.pairs.probe[0].self += ' {party}')), '$.pairs.probe[0].self', /may appear only in "other"/);
  });
});

describe('validatePack: variants', () => {
  it('overriding an unknown phrase or list', () => {
    const issues = issuesAfter((p) => {
      p.variants[0].phrases = { tone: 'polite' };
      p.variants[0].lists.people = { train: [], test: ['Zed'] };
    });
    expectIssue(issues, '$.variants[0].phrases.tone', /unknown phrase|does not have/);
    expectIssue(issues, '$.variants[0].lists.people', /does not have/);
  });

  it('variant lists must be disjoint: within themselves and from every training value of the pack', () => {
    const issues = issuesAfter((p) => {
      p.variants[0].lists.names = { train: ['Oscar'], test: ['oscar', 'Alice'] };
    });
    expectIssue(issues, '$.variants[0].lists.names.test[0]', /also in train/);
    expectIssue(issues, '$.variants[0].lists.names.test[1]', /training value of the pack \(\$\.lists\.names\.train\[0\]\)/);
  });

  it('an empty variant test list that the test draws from', () => {
    expectIssue(issuesAfter((p) => (p.variants[0].lists.names.test = [])), '$.variants[0].lists.names.test', /is empty/);
  });
});

describe('loadPackFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-packs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a JSON syntax error with the file, line and column', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{\n  "format": "soo-lab/scenario-pack@1",\n  "id": "x"\n  "name": "y"\n}\n');
    const error = catchError(() => loadPackFile(file));
    expect(error.data.code).toBe('bad_input');
    expect(error.data.file).toBe(file);
    expect(error.message).toContain(`${file}:4:3`);
    expect(error.data.issues?.[0]?.line).toBe(4);
  });

  it('throws bad_input with the file, the first path and every issue', () => {
    const file = path.join(dir, 'invalid.json');
    const p = rawPack();
    p.lists.rooms.test.push('attic');
    p.placeholders.spare = { list: 'rooms' };
    const text = JSON.stringify(p, null, 2);
    writeFileSync(file, text);
    const error = catchError(() => loadPackFile(file));
    expect(error.data).toMatchObject({ code: 'bad_input', file, path: '$.lists.rooms.test[12]' });
    expect(paths(error.data.issues ?? [])).toEqual(expect.arrayContaining(['$.lists.rooms.test[12]', '$.placeholders.spare']));
    // Each issue carries the line of its value; found here by searching the text itself.
    const lines = text.split('\n');
    const lineOf = (predicate: (line: string) => boolean) => lines.findIndex(predicate) + 1;
    const issue = (path: string) => error.data.issues?.find((i) => i.path === path);
    expect(issue('$.lists.rooms.test[12]')?.line).toBe(lineOf((l) => l.trim() === '"attic"'));
    expect(issue('$.placeholders.spare')?.line).toBe(lineOf((l) => l.includes('"spare"')));
  });

  it('a missing file is bad input naming the file', () => {
    const file = path.join(dir, 'nope.json');
    const error = catchError(() => loadPackFile(file));
    expect(error.data).toMatchObject({ code: 'bad_input', file });
    expect(error.message).toMatch(/no such file/);
  });
});

function catchError(fn: () => unknown): SooError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SooError) return error;
    throw error;
  }
  throw new Error('expected an error');
}
