/**
 * The scenario designer's draft: the pack being edited (a deep `$state` record the form binds to),
 * where it came from, whether it changed, and the issues `scenarios.validate` reported for it.
 *
 * Validation is debounced and ordered: a result is kept only if the draft still has the JSON that
 * was validated, so a slow answer can never show issues of an older draft.
 */
import type { PackDocument } from '../../../electron/contract/api.ts';
import type { ErrorIssue } from '../../../electron/contract/errors.ts';
import type { PairTemplate, ScenarioPackInput, ValueList } from '../../../electron/contract/scenario-pack.ts';
import { api, errorDataOf } from '../api.ts';
import { blankPack, renameKey, renameRefEverywhere, uniqueName, withoutKey } from '../pack/drafts.ts';
import { isWithin } from '../pack/paths.ts';
import type { KnownNames } from '../pack/template.ts';

/** Where a draft came from: a read-only built-in, a user pack stored in SQLite, or not saved yet. */
export type DraftOrigin = 'builtin' | 'user' | 'new';

/** Milliseconds of quiet typing before the draft is validated. */
const VALIDATE_DELAY_MS = 250;

/** Fills the optional parts the form edits, so bindings always have a target. */
function normalize(pack: ScenarioPackInput): ScenarioPackInput {
  const p = structuredClone(pack);
  p.description ??= '';
  p.kind ??= 'deception';
  p.phrases ??= {};
  p.variants ??= [];
  for (const v of p.variants) v.description ??= '';
  return p;
}

export class PackDraft {
  pack = $state<ScenarioPackInput>(normalize(blankPack('new-pack')));
  origin = $state<DraftOrigin>('new');
  /** The id the pack is stored under; null until saved. Changing `pack.id` saves under the new id. */
  storedId = $state<string | null>(null);
  updatedAt = $state<string | null>(null);
  issues = $state.raw<ErrorIssue[]>([]);
  /** Set when `scenarios.validate` itself failed (not when the pack has issues). */
  checkError = $state.raw<string | null>(null);

  #baseline = $state('');
  #validatedJson = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** The draft as JSON: what validate, preview and save receive. Reading it tracks the whole pack. */
  readonly json = $derived(JSON.stringify(this.pack));
  readonly dirty = $derived(this.json !== this.#baseline);
  readonly readOnly = $derived(this.origin === 'builtin');
  /** True when `issues` belong to the current draft. */
  readonly validated = $derived(this.#validatedJson === this.json);
  readonly valid = $derived(this.validated && this.issues.length === 0);

  /** Why Save is disabled, or null when it is enabled. */
  readonly saveBlocker = $derived.by((): string | null => {
    if (this.readOnly) return 'Built-in packs are read-only: duplicate it to edit.';
    if (this.checkError) return `Cannot check the pack: ${this.checkError}`;
    if (!this.validated) return 'Checking the pack…';
    const n = this.issues.length;
    if (n) return `Fix ${n} problem${n === 1 ? '' : 's'} before saving.`;
    if (!this.dirty && this.origin === 'user') return 'No unsaved changes.';
    return null;
  });

  readonly listNames = $derived(Object.keys(this.pack.lists));
  readonly placeholderNames = $derived(Object.keys(this.pack.placeholders));
  readonly phraseNames = $derived(Object.keys(this.pack.phrases ?? {}));
  readonly party = $derived(Object.entries(this.pack.placeholders).find(([, p]) => p.role === 'party')?.[0] ?? null);
  /** What `{references}` in templates can resolve to, for highlighting. */
  readonly known = $derived<KnownNames>({
    placeholders: new Set(this.placeholderNames),
    party: this.party,
    phrases: new Set(this.phraseNames),
  });

  // ---- loading and saving ---------------------------------------------------------------------

  load(doc: PackDocument): void {
    this.#replace(doc.pack, doc.source, doc.pack.id, doc.updatedAt);
  }

  /** Starts an unsaved draft from a pack (a new or duplicated one). */
  start(pack: ScenarioPackInput): void {
    this.#replace(pack, 'new', null, null);
    this.#baseline = '';
  }

  #replace(pack: ScenarioPackInput, origin: DraftOrigin, storedId: string | null, updatedAt: string | null): void {
    this.pack = normalize(pack);
    this.origin = origin;
    this.storedId = storedId;
    this.updatedAt = updatedAt;
    this.issues = [];
    this.checkError = null;
    this.#validatedJson = null;
    this.#baseline = JSON.stringify(this.pack);
  }

  /** Saves through `scenarios.save`; throws the service's error (with issues) on failure. */
  async save(): Promise<void> {
    if (this.saveBlocker) throw new Error(this.saveBlocker);
    const json = this.json;
    const saved = await api['scenarios.save']({ pack: JSON.parse(json) });
    this.origin = 'user';
    this.storedId = saved.id;
    this.updatedAt = saved.updatedAt;
    this.#baseline = json;
  }

  /** Debounced validation; call whenever `json` changes (the designer does so from an effect). */
  scheduleValidation(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.validateNow(), VALIDATE_DELAY_MS);
  }

  async validateNow(): Promise<void> {
    const json = this.json;
    try {
      const result = await api['scenarios.validate']({ pack: JSON.parse(json) });
      if (json !== this.json) return; // the draft moved on; a newer validation is scheduled
      this.issues = result.issues;
      this.#validatedJson = json;
      this.checkError = null;
    } catch (error) {
      if (json === this.json) this.checkError = errorDataOf(error).message;
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  // ---- issues by JSON path --------------------------------------------------------------------

  /** Issues located exactly at `path`. */
  issuesAt(path: string): ErrorIssue[] {
    return this.issues.filter((i) => i.path === path);
  }

  /** Issues at `path` or anywhere inside it. */
  issuesWithin(path: string): ErrorIssue[] {
    return this.issues.filter((i) => isWithin(i.path, path));
  }

  // ---- value lists, placeholders, phrases ------------------------------------------------------

  addList(): string {
    const name = uniqueName('list', this.listNames);
    this.pack.lists[name] = { train: [], test: [] };
    return name;
  }

  renameList(from: string, to: string): void {
    if (from === to || !to || to in this.pack.lists) return;
    this.pack.lists = renameKey(this.pack.lists, from, to);
    for (const p of Object.values(this.pack.placeholders)) if (p.list === from) p.list = to;
    for (const v of this.pack.variants ?? []) if (v.lists && from in v.lists) v.lists = renameKey(v.lists, from, to);
  }

  removeList(name: string): void {
    this.pack.lists = withoutKey(this.pack.lists, name);
  }

  addPlaceholder(): string {
    const name = uniqueName('placeholder', this.placeholderNames);
    this.pack.placeholders[name] = { list: this.listNames[0] ?? '' };
    return name;
  }

  /** Renames a placeholder and every `{reference}` to it (templates, phrases, variants, decision). */
  renamePlaceholder(from: string, to: string): void {
    if (from === to || !to || to in this.pack.placeholders) return;
    this.pack.placeholders = renameKey(this.pack.placeholders, from, to);
    renameRefEverywhere(this.pack, from, to);
  }

  removePlaceholder(name: string): void {
    this.pack.placeholders = withoutKey(this.pack.placeholders, name);
  }

  /** Makes `name` the other party's placeholder (at most one has the role). */
  setParty(name: string | null): void {
    for (const [k, p] of Object.entries(this.pack.placeholders)) {
      if (k === name) p.role = 'party';
      else delete p.role;
    }
  }

  addPhrase(): string {
    const phrases = (this.pack.phrases ??= {});
    const name = uniqueName('phrase', Object.keys(phrases));
    phrases[name] = '';
    return name;
  }

  renamePhrase(from: string, to: string): void {
    const phrases = this.pack.phrases ?? {};
    if (from === to || !to || to in phrases) return;
    this.pack.phrases = renameKey(phrases, from, to);
    renameRefEverywhere(this.pack, from, to);
    for (const v of this.pack.variants ?? []) if (v.phrases && from in v.phrases) v.phrases = renameKey(v.phrases, from, to);
  }

  removePhrase(name: string): void {
    this.pack.phrases = withoutKey(this.pack.phrases ?? {}, name);
  }

  // ---- pairs and variants ----------------------------------------------------------------------

  addPair(set: 'train' | 'probe'): void {
    const pairs = this.pack.pairs[set];
    const last: PairTemplate | undefined = pairs.at(-1);
    const id = uniqueName(`${set}-${pairs.length + 1}`, pairs.map((p) => p.id));
    pairs.push({ id, self: last?.self ?? '', other: last?.other ?? '' });
  }

  removePair(set: 'train' | 'probe', index: number): void {
    this.pack.pairs[set].splice(index, 1);
  }

  addVariant(): void {
    const variants = (this.pack.variants ??= []);
    variants.push({ id: uniqueName('variant', variants.map((v) => v.id)), description: '' });
  }

  removeVariant(index: number): void {
    this.pack.variants?.splice(index, 1);
  }

  /** Adds a list override to a variant, starting from the pack's values. */
  overrideList(index: number, list: string): void {
    const variant = this.pack.variants?.[index];
    const base: ValueList | undefined = this.pack.lists[list];
    if (!variant || !base) return;
    variant.lists = { ...(variant.lists ?? {}), [list]: { train: [...base.train], test: [...base.test] } };
  }
}
