/**
 * Scenario packs in the database (table `scenario_packs`, migrations/0001_init.sql).
 *
 * Stores each pack's JSON as the exact text it was given and parses it on `get`. It checks only that
 * the text is JSON; what a valid pack is belongs to the scenarios service. Owns its prepared
 * statements; writes are immediate transactions, so two writers queue on the busy timeout instead of
 * failing half-way.
 */
import type { Database, Statement } from 'better-sqlite3';
import { badInput } from '../../contract/errors.ts';

/** A pack as listed: everything but the JSON. Times are ISO 8601 UTC strings. */
export interface PackSummary {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

/** A stored pack: the summary, the JSON text as saved, and that text parsed. */
export interface StoredPack extends PackSummary {
  /** The JSON text exactly as given to `save`. */
  json: string;
  /** `JSON.parse(json)`; its shape is checked by the scenarios service, not here. */
  pack: unknown;
}

export interface SavePackInput {
  /** Stable identifier, non-empty; saving an existing id replaces that pack. */
  id: string;
  /** Display name, not blank. */
  name: string;
  /** Defaults to ''. */
  description?: string;
  /** The pack as JSON text; stored unchanged. */
  json: string;
}

export interface PackRepositoryOptions {
  /** The clock for created_at/updated_at. Defaults to `() => new Date()`. */
  now?: () => Date;
}

interface PackRow {
  id: string;
  name: string;
  description: string;
  json: string;
  created_at: string;
  updated_at: string;
}

type SummaryRow = Omit<PackRow, 'json'>;

export class PackRepository {
  readonly #db: Database;
  readonly #now: () => Date;
  readonly #list: Statement<[], SummaryRow>;
  readonly #get: Statement<[string], PackRow>;
  readonly #upsert: Statement<[Omit<PackRow, 'created_at'>], SummaryRow>;
  readonly #delete: Statement<[string]>;

  constructor(db: Database, options: PackRepositoryOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#list = db.prepare(
      `SELECT id, name, description, created_at, updated_at FROM scenario_packs ORDER BY name COLLATE NOCASE, id`,
    );
    this.#get = db.prepare(
      `SELECT id, name, description, json, created_at, updated_at FROM scenario_packs WHERE id = ?`,
    );
    // Upsert: a new id gets created_at = updated_at = now; an existing one keeps its created_at.
    this.#upsert = db.prepare(
      `INSERT INTO scenario_packs (id, name, description, json, created_at, updated_at)
       VALUES (@id, @name, @description, @json, @updated_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, description = excluded.description,
         json = excluded.json, updated_at = excluded.updated_at
       RETURNING id, name, description, created_at, updated_at`,
    );
    this.#delete = db.prepare(`DELETE FROM scenario_packs WHERE id = ?`);
  }

  /** Every pack without its JSON, sorted by name (case-insensitive), then id. */
  list(): PackSummary[] {
    return this.#list.all().map(toSummary);
  }

  /** The pack with this id, or undefined. */
  get(id: string): StoredPack | undefined {
    const row = this.#get.get(id);
    if (!row) return undefined;
    return { ...toSummary(row), json: row.json, pack: JSON.parse(row.json) as unknown };
  }

  /** Inserts or replaces a pack, keeping the first created_at; returns the stored summary. */
  save(input: SavePackInput): PackSummary {
    const { id, name, description = '', json } = input;
    if (typeof id !== 'string' || id.length === 0) throw badInput(`pack id must be a non-empty string, got ${JSON.stringify(id)}`, { path: '$.id' });
    if (typeof name !== 'string' || name.trim().length === 0) {
      throw badInput(`pack ${id}: name must be a non-blank string, got ${JSON.stringify(name)}`, { path: '$.name' });
    }
    if (typeof json !== 'string') throw badInput(`pack ${id}: json must be a string of JSON text, got ${typeof json}`, { path: '$.json' });
    try {
      JSON.parse(json);
    } catch (error) {
      throw badInput(`pack ${id}: json is not valid JSON: ${(error as Error).message}`, { path: '$.json' });
    }
    const row = { id, name, description, json, updated_at: this.#now().toISOString() };
    return toSummary(this.#db.transaction(() => this.#upsert.get(row)!).immediate());
  }

  /** Deletes the pack; true if it existed. */
  delete(id: string): boolean {
    return this.#db.transaction(() => this.#delete.run(id).changes > 0).immediate();
  }
}

function toSummary(row: SummaryRow): PackSummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
