/**
 * Model paths the user chose recently, newest first, kept in localStorage so the Activations page and
 * the designer's tokenizer picker offer the same list across reloads. One instance per app (context).
 */
import { getContext, setContext } from 'svelte';

const STORAGE_KEY = 'soo-lab.recentModels';
const KEPT = 8;

function load(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, KEPT) : [];
  } catch {
    return [];
  }
}

export class RecentModels {
  paths = $state.raw<string[]>(load());

  /** Moves `path` to the front (after it was inspected successfully). */
  remember(path: string): void {
    this.paths = [path, ...this.paths.filter((p) => p !== path)].slice(0, KEPT);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.paths));
    } catch {
      // storage full or disabled: the list still works for this session
    }
  }
}

const KEY = Symbol('recentModels');

export function setRecentModels(recent: RecentModels): RecentModels {
  return setContext(KEY, recent);
}

export function getRecentModels(): RecentModels {
  const recent = getContext<RecentModels | undefined>(KEY);
  if (!recent) throw new Error('getRecentModels() called outside <App>');
  return recent;
}
