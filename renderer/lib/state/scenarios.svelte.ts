/**
 * The Scenarios page: the pack list, which pack is open in the designer, and the page's commands
 * (open, new, duplicate, delete, import, export). The draft itself lives in `PackDraft`.
 */
import { getContext, setContext } from 'svelte';
import type { PackSummary } from '../../../electron/contract/api.ts';
import { api } from '../api.ts';
import { blankPack, duplicatePack, uniqueName } from '../pack/drafts.ts';
import { PackDraft } from './draft.svelte.ts';
import { PreviewState } from './preview.svelte.ts';

export class ScenariosPage {
  packs = $state.raw<PackSummary[]>([]);
  loaded = $state(false);
  /** True while a draft is open in the designer. */
  open = $state(false);
  /** Bumped whenever another pack is opened, so the designer starts fresh (scroll, local state). */
  session = $state(0);
  /** An action waiting for the user to confirm discarding unsaved changes. */
  pending = $state.raw<{ what: string; run: () => Promise<void> | void } | null>(null);
  readonly draft = new PackDraft();
  readonly preview = new PreviewState();

  readonly builtins = $derived(this.packs.filter((p) => p.source === 'builtin'));
  readonly userPacks = $derived(this.packs.filter((p) => p.source === 'user'));
  readonly takenIds = $derived(new Set(this.packs.map((p) => p.id)));

  async refresh(): Promise<void> {
    this.packs = await api['scenarios.list']({});
    this.loaded = true;
  }

  /** True when leaving the open draft would lose edits. */
  get unsaved(): boolean {
    return this.open && this.draft.origin !== 'builtin' && this.draft.dirty;
  }

  /** Runs `run` now, or after the user confirms discarding unsaved changes (see `confirmPending`). */
  async guard(what: string, run: () => Promise<void> | void): Promise<void> {
    if (this.unsaved) this.pending = { what, run };
    else await run();
  }

  async confirmPending(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    await pending?.run();
  }

  cancelPending(): void {
    this.pending = null;
  }

  async openPack(id: string): Promise<void> {
    const doc = await api['scenarios.get']({ id });
    this.draft.load(doc);
    this.#opened();
  }

  newPack(): void {
    this.draft.start(blankPack(uniqueName('new-pack', this.takenIds)));
    this.#opened();
  }

  /** Opens an editable, unsaved copy of the open pack (built-in or user), edits included. */
  duplicate(): void {
    const copy = duplicatePack($state.snapshot(this.draft.pack), this.takenIds);
    this.draft.start(copy);
    this.#opened();
  }

  #opened(): void {
    this.preview.options.variant = '';
    this.open = true;
    this.session += 1;
  }

  async save(): Promise<void> {
    await this.draft.save();
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    await api['scenarios.delete']({ id });
    if (this.draft.storedId === id && this.draft.origin === 'user') this.open = false;
    await this.refresh();
  }

  /** Imports a pack file through `scenarios.import` and opens it. */
  async importFile(file: File): Promise<string> {
    const text = await file.text();
    const { id } = await api['scenarios.import']({ fileName: file.name, text });
    await this.refresh();
    await this.openPack(id);
    return id;
  }

  /** Exports the stored pack as JSON text with a suggested file name. */
  async exportStored(): Promise<{ fileName: string; text: string }> {
    const id = this.draft.storedId;
    if (!id) throw new Error('Save the pack before exporting it.');
    return api['scenarios.export']({ id });
  }

  dispose(): void {
    this.draft.dispose();
    this.preview.dispose();
  }
}

const KEY = Symbol('scenarios');

export function setScenarios(page: ScenariosPage): ScenariosPage {
  return setContext(KEY, page);
}

export function getScenarios(): ScenariosPage {
  const page = getContext<ScenariosPage | undefined>(KEY);
  if (!page) throw new Error('getScenarios() called outside the Scenarios page');
  return page;
}
