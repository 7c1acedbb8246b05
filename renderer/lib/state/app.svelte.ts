/**
 * App-wide state: what the services say about this build (`app.info`) and the error banners.
 * Shared through a context getter (`getApp()`), not passed down as props.
 */
import { getContext, setContext } from 'svelte';
import type { AppInfo, PageId } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import { api, errorDataOf } from '../api.ts';

export interface Banner {
  id: number;
  /** What the user was doing ("Saving pack main-copy"). */
  context: string;
  error: ErrorData;
}

export class AppState {
  info = $state.raw<AppInfo | null>(null);
  banners = $state.raw<Banner[]>([]);
  /** The Experiments page first: it opens with the built-in demo model's ready experiment. */
  page = $state<PageId>('experiments');
  #nextId = 1;

  /** Pages the services support, in sidebar order. */
  readonly pages = $derived(this.info?.pages ?? []);

  async load(): Promise<void> {
    try {
      this.info = await api['app.info']({});
      const first = this.info.pages[0];
      if (first && !this.info.pages.includes(this.page)) this.page = first;
    } catch (error) {
      this.report('Connecting to the services', error);
    }
  }

  /** Shows an error banner; returns its id. */
  report(context: string, error: unknown): number {
    const id = this.#nextId++;
    this.banners = [...this.banners, { id, context, error: errorDataOf(error) }];
    return id;
  }

  dismiss(id: number): void {
    this.banners = this.banners.filter((b) => b.id !== id);
  }

  /** Runs `task`, turning a failure into a banner; resolves to undefined on failure. */
  async attempt<T>(context: string, task: () => Promise<T>): Promise<T | undefined> {
    try {
      return await task();
    } catch (error) {
      this.report(context, error);
      return undefined;
    }
  }
}

const KEY = Symbol('app');

export function setApp(app: AppState): AppState {
  return setContext(KEY, app);
}

export function getApp(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('getApp() called outside <App>');
  return app;
}
