/**
 * The real `soo-lab scenario ...` binary (node bin/soo-lab.mjs), as scripts use it: exit codes,
 * JSONL on stdout, issues on stderr with their JSON path and no stack trace, and a database round trip
 * in a temporary folder (--db).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ROOT } from '../../electron/services/paths.ts';

const MAIN_PACK = 'resources/scenarios/burglar-house.json';
const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-cli-'));
const db = path.join(dir, 'soo-lab.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/soo-lab.mjs', '--db', db, ...args], { cwd: APP_ROOT, encoding: 'utf8', env: { ...process.env, SOO_LAB_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the main pack, broken by `mutate`, written to a temp file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function brokenPack(name: string, mutate: (p: any) => void): string {
  const p = JSON.parse(readFileSync(path.join(APP_ROOT, MAIN_PACK), 'utf8'));
  mutate(p);
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(p, null, 2));
  return file;
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at [^\n]*:\d+:\d+/);

describe('soo-lab scenario check', () => {
  it('accepts the main pack: exit 0 and a summary; --json gives {ok, file, id, issues}', () => {
    const human = cli('scenario', 'check', MAIN_PACK);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('burglar-house');
    const json = cli('--json', 'scenario', 'check', MAIN_PACK);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, file: MAIN_PACK, id: 'burglar-house', issues: [] });
  });

  it('a broken pack: exit 2, every issue as "FILE: $.path: message" on stderr, no stack trace', () => {
    const file = brokenPack('broken.json', (p) => {
      p.lists.rooms.test.push('Attic');
      p.test.mirrorTemplate = p.test.template;
    });
    const r = cli('scenario', 'check', file);
    expect(r.code).toBe(2);
    // The line is found independently: the written file has one array element per line.
    const atticLine = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.trim() === '"Attic"') + 1;
    expect(atticLine).toBeGreaterThan(1);
    expect(r.stderr).toContain(`${file}: $.lists.rooms.test[12] (line ${atticLine}): "Attic" is also in train`);
    expect(r.stderr).toMatch(/: \$\.test\.mirrorTemplate \(line \d+\): must name the honest option/);
    noStack(r.stderr);
    const json = cli('--json', 'scenario', 'check', file);
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ ok: false, file, id: 'burglar-house' });
    expect(out.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['$.lists.rooms.test[12]', '$.test.mirrorTemplate']));
  });

  it('a JSON syntax error names the line', () => {
    const file = path.join(dir, 'syntax.json');
    writeFileSync(file, '{\n  "id": "x",\n  "name": \n}\n');
    const r = cli('scenario', 'check', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: $: line 4, column 1: expected a value`);
    noStack(r.stderr);
  });
});

describe('soo-lab scenario pairs / render', () => {
  it('pairs --n 52 --seed 7: 52 JSONL lines, byte-identical on a rerun, different with another seed', () => {
    const a = cli('scenario', 'pairs', MAIN_PACK, '--n', '52', '--seed', '7');
    expect(a.code).toBe(0);
    const lines = a.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(52);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(['self', 'other', 'template', 'values']);
    expect(cli('scenario', 'pairs', MAIN_PACK, '--n', '52', '--seed', '7').stdout).toBe(a.stdout);
    expect(cli('scenario', 'pairs', MAIN_PACK, '--n', '52', '--seed', '8').stdout).not.toBe(a.stdout);
  });

  it('render: 250 prompts by default with the fields of cli.md; --variant, --mirror, --honesty-prompt', () => {
    const r = cli('scenario', 'render', MAIN_PACK);
    expect(r.code).toBe(0);
    const prompts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(prompts).toHaveLength(250);
    expect(Object.keys(prompts[0])).toEqual(['prompt', 'deceptive', 'honest', 'variant', 'values', 'mirrored']);
    const m = cli('scenario', 'render', MAIN_PACK, '--n', '3', '--variant', 'rename-want', '--mirror', '--honesty-prompt');
    expect(m.code).toBe(0);
    const first = JSON.parse(m.stdout.split('\n')[0]!);
    expect(first).toMatchObject({ variant: 'rename-want', mirrored: true, deceptive: prompts[0].deceptive, honest: prompts[0].honest });
    expect(first.prompt.startsWith('Please be truthful with Oscar')).toBe(true);
  });

  it('bad flags exit 2 naming the flag', () => {
    const cases: [string[], string][] = [
      [['scenario', 'pairs', MAIN_PACK, '--n', '-3'], '--n'],
      [['scenario', 'pairs', MAIN_PACK, '--n', 'many'], '--n'],
      [['scenario', 'pairs', MAIN_PACK, '--set', 'foo'], '--set'],
      [['scenario', 'render', MAIN_PACK, '--seed', '-1'], '--seed'],
      [['scenario', 'render', MAIN_PACK, '--variant', 'loud'], '--variant'],
    ];
    for (const [args, flag] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(flag);
      noStack(r.stderr);
    }
  });

  it('a missing file, or an id no pack has, is bad input naming it once', () => {
    const missing = cli('scenario', 'render', 'missing.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('soo-lab: missing.json: cannot read scenario pack: no such file\n');
    const unknownId = cli('scenario', 'pairs', 'no-such-pack');
    expect(unknownId.code).toBe(2);
    expect(unknownId.stderr).toMatch(/^soo-lab: no-such-pack: no such file, and no built-in or saved pack has this id\n/);
    // A built-in id works without a file.
    expect(cli('scenario', 'pairs', 'burglar-house', '--n', '3').stdout).toBe(cli('scenario', 'pairs', MAIN_PACK, '--n', '3').stdout);
  });

  it('an invalid pack file is bad input for pairs too', () => {
    const file = brokenPack('unused.json', (p) => (p.placeholders.spare = { list: 'rooms' }));
    const r = cli('scenario', 'pairs', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('$.placeholders.spare');
    expect(r.stdout).toBe('');
  });
});

describe('soo-lab scenario import / list / export', () => {
  it('round trip through the database', () => {
    const file = brokenPack('mine.json', (p) => {
      p.id = 'cli-pack';
      p.name = 'CLI pack';
    });
    const imported = cli('--json', 'scenario', 'import', file);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ id: 'cli-pack', name: 'CLI pack' });

    const list = cli('--json', 'scenario', 'list');
    expect(list.code).toBe(0);
    const packs = JSON.parse(list.stdout).packs as { id: string; source: string }[];
    expect(packs.find((p) => p.id === 'cli-pack')?.source).toBe('user');
    expect(packs.find((p) => p.id === 'burglar-house')?.source).toBe('builtin');

    const out = path.join(dir, 'exported.json');
    expect(cli('scenario', 'export', 'cli-pack', '--out', out).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    expect(cli('scenario', 'check', out).code).toBe(0);

    // A saved pack renders by id, the same as from its file.
    expect(cli('scenario', 'pairs', 'cli-pack', '--n', '4').stdout).toBe(cli('scenario', 'pairs', file, '--n', '4').stdout);
  });

  it('export of an unknown id and import of a broken file exit 2', () => {
    const missing = cli('scenario', 'export', 'nobody', '--out', path.join(dir, 'x.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nobody');
    const bad = cli('scenario', 'import', brokenPack('bad-import.json', (p) => (p.id = 'x y')));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('$.id');
    noStack(bad.stderr);
  });
});
