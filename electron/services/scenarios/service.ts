/**
 * ScenarioService: scenario packs for the app, the CLI and the harness.
 *
 * Two sources: built-in packs (read-only JSON files in resources/scenarios/, loaded once) and user
 * packs (SQLite, through the store's PackRepository). Every pack that enters is validated
 * (validate.ts); a built-in pack's id cannot be taken by a user pack. Rendering is delegated to
 * generate.ts and render.ts. All methods are synchronous.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PackDocument, PackSummary, PreviewResult, ValidationResult, ApiParsedInput } from '../../contract/api.ts';
import { badInput, notFound, SooError } from '../../contract/errors.ts';
import type { RenderedPair, RenderedPrompt, ScenarioPack } from '../../contract/scenario-pack.ts';
import type { PackRepository } from '../store/packs.ts';
import { generatePair } from './generate.ts';
import { parseJsonText } from './jsonText.ts';
import { renderPrompt } from './render.ts';
import { loadPackFile, requireValid, validatePack } from './validate.ts';

export interface ScenarioServiceOptions {
  /** The user packs' table. */
  packs: PackRepository;
  /** Folder holding the built-in packs as `<id>.json`; each must be valid. */
  builtinDir: string;
}

interface Builtin {
  file: string;
  /** The JSON as written in the file. */
  raw: unknown;
  pack: ScenarioPack;
}

export class ScenarioService {
  readonly #packs: PackRepository;
  readonly #builtinDir: string;
  #builtins: Map<string, Builtin> | undefined;

  constructor(options: ScenarioServiceOptions) {
    this.#packs = options.packs;
    this.#builtinDir = options.builtinDir;
  }

  /** Built-in packs first (by id), then user packs (by name). */
  list(): PackSummary[] {
    const builtins = [...this.#loadBuiltins().values()].map(({ pack }) => summary(pack, 'builtin', null));
    const users = this.#packs.list().flatMap((row) => {
      const stored = this.#packs.get(row.id);
      const { draft } = validatePack(stored?.pack);
      if (!stored || !draft) return [];
      return [summary(draft, 'user', stored.updatedAt)];
    });
    return [...builtins, ...users];
  }

  get(id: string): PackDocument {
    const builtin = this.#loadBuiltins().get(id);
    if (builtin) return { pack: builtin.raw as PackDocument['pack'], source: 'builtin', updatedAt: null };
    const stored = this.#packs.get(id);
    if (!stored) throw notFound(`no scenario pack with id "${id}"`, { hint: 'soo-lab scenario list shows the packs there are' });
    return { pack: stored.pack as PackDocument['pack'], source: 'user', updatedAt: stored.updatedAt };
  }

  /** The validated pack with this id (defaults filled in), for commands that render it. */
  resolve(id: string): ScenarioPack {
    const builtin = this.#loadBuiltins().get(id);
    if (builtin) return builtin.pack;
    return requireValid(this.get(id).pack, `pack ${id}`);
  }

  validate(pack: unknown): ValidationResult {
    const { issues } = validatePack(pack);
    return { ok: issues.length === 0, issues };
  }

  /**
   * Renders a draft for the designer. Never throws for a bad draft: returns its issues and every
   * pair and prompt that could still be rendered (instances that fail are left out).
   */
  preview(input: ApiParsedInput<'scenarios.preview'>): PreviewResult {
    const { draft, issues } = validatePack(input.pack);
    const result: PreviewResult = { issues: [...issues], pairs: [], prompts: [] };
    if (!draft) return result;
    // A failed instance is reported once, unless a validation issue already says why: one at the
    // same path, or any issue when the failure is a draw from a broken list (a plain Error).
    const note = (error: unknown) => {
      if (!(error instanceof SooError) && issues.length > 0) return;
      const message = error instanceof Error ? error.message : String(error);
      const path = error instanceof SooError && error.data.path ? error.data.path : '$';
      if (!result.issues.some((i) => i.path === path || i.message === message)) result.issues.push({ path, message });
    };
    for (let i = 0; i < input.n; i++) {
      const pair = attempt<RenderedPair>(() => generatePair(draft, input.set, i, input.seed), note);
      if (pair) result.pairs.push(pair);
      const prompt = attempt<RenderedPrompt>(
        () => renderPrompt(draft, i, { seed: input.seed, variant: input.variant, mirror: input.mirror, honestyPrompt: input.honestyPrompt }),
        note,
      );
      if (prompt) result.prompts.push(prompt);
    }
    return result;
  }

  /** Validates and stores a user pack (replacing one with the same id). */
  save(input: unknown): { id: string; updatedAt: string } {
    return this.#store(requireValid(input), `${JSON.stringify(input, null, 2)}\n`);
  }

  /** Deletes a user pack; built-in packs are read-only. */
  delete(id: string): { deleted: boolean } {
    if (this.#loadBuiltins().has(id)) throw badInput(`"${id}" is a built-in pack and cannot be deleted`, { path: '$.id' });
    return { deleted: this.#packs.delete(id) };
  }

  /** Imports a pack from a JSON file's text: parse (errors name the file and line), validate, save. */
  importText(fileName: string, text: string): { id: string; name: string } {
    const pack = requireValid(parseJsonText(fileName, text), fileName, text);
    try {
      this.#store(pack, text);
    } catch (error) {
      if (error instanceof SooError && !error.data.file) error.data.file = fileName;
      throw error;
    }
    return { id: pack.id, name: pack.name };
  }

  /** The pack as pretty JSON text (importable again) and a file name for it. */
  exportText(id: string): { fileName: string; text: string } {
    const { pack } = this.get(id);
    return { fileName: `${id}.json`, text: `${JSON.stringify(pack, null, 2)}\n` };
  }

  /** Reads and validates a pack file (the CLI's FILE arguments). */
  loadFile(file: string): ScenarioPack {
    return loadPackFile(file);
  }

  /** Stores a validated pack as `json` (the text the user gave); a built-in pack's id is refused at $.id. */
  #store(pack: ScenarioPack, json: string): { id: string; updatedAt: string } {
    if (this.#loadBuiltins().has(pack.id)) {
      throw badInput(`"${pack.id}" is the id of a built-in pack; give your pack another id`, {
        path: '$.id',
        issues: [{ path: '$.id', message: `"${pack.id}" is reserved by a built-in pack` }],
      });
    }
    const saved = this.#packs.save({ id: pack.id, name: pack.name, description: pack.description, json });
    return { id: saved.id, updatedAt: saved.updatedAt };
  }

  #loadBuiltins(): Map<string, Builtin> {
    if (this.#builtins) return this.#builtins;
    const builtins = new Map<string, Builtin>();
    let names: string[] = [];
    try {
      names = readdirSync(this.#builtinDir).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of names) {
      const file = path.join(this.#builtinDir, name);
      const raw = parseJsonText(file, readFileSync(file, 'utf8'));
      const { pack, issues } = validatePack(raw);
      if (!pack) {
        throw new SooError({ code: 'internal', message: `built-in scenario pack ${file} is invalid: ${issues[0]?.path}: ${issues[0]?.message}`, file, issues });
      }
      builtins.set(pack.id, { file, raw, pack });
    }
    this.#builtins = builtins;
    return builtins;
  }
}

function summary(pack: ScenarioPack, source: PackSummary['source'], updatedAt: string | null): PackSummary {
  return {
    id: pack.id,
    name: pack.name,
    description: pack.description,
    kind: pack.kind,
    source,
    updatedAt,
    trainPairs: pack.pairs.train.length,
    variants: pack.variants.length,
  };
}

function attempt<T>(fn: () => T, onError: (error: unknown) => void): T | undefined {
  try {
    return fn();
  } catch (error) {
    onError(error);
    return undefined;
  }
}

