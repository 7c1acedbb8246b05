/**
 * The designer's tokenizer hook: with a model chosen, the self/other token counts of each previewed
 * pair (`activations.tokenCounts` on the draft, rendered exactly as the preview renders it) and how
 * many pairs do not align under 'full'. Counts are matched to preview rows by their texts, so a
 * stale answer never labels the wrong row. Only the answer to the latest request is kept.
 */
import type { PairTokenCount, TokenCountsResult } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import { api, errorDataOf } from '../api.ts';

export interface TokenCountsRequest {
  modelPath: string;
  packJson: string;
  set: 'train' | 'probe';
  n: number;
  seed: number;
}

export class TokenCountsState {
  modelPath = $state('');
  result = $state.raw<TokenCountsResult | null>(null);
  error = $state.raw<ErrorData | null>(null);
  pending = $state(false);
  #request = 0;
  readonly #byText = $derived(new Map((this.result?.pairs ?? []).map((p) => [`${p.self}\u0000${p.other}`, p])));

  /** The counts of a previewed pair, when known for these exact texts. */
  countOf(pair: { self: string; other: string }): PairTokenCount | undefined {
    return this.#byText.get(`${pair.self}\u0000${pair.other}`);
  }

  async update(r: TokenCountsRequest): Promise<void> {
    const request = ++this.#request;
    if (!r.modelPath.trim()) {
      this.result = null;
      this.error = null;
      this.pending = false;
      return;
    }
    this.pending = true;
    try {
      const result = await api['activations.tokenCounts']({
        modelPath: r.modelPath.trim(),
        pack: JSON.parse(r.packJson),
        set: r.set,
        n: Number.isFinite(r.n) ? Math.min(500, Math.max(1, Math.round(r.n))) : 6,
        seed: Number.isFinite(r.seed) ? Math.max(0, Math.round(r.seed)) : 0,
      });
      if (request !== this.#request) return;
      this.result = result;
      this.error = null;
    } catch (error) {
      if (request !== this.#request) return;
      this.result = null;
      this.error = errorDataOf(error);
    } finally {
      if (request === this.#request) this.pending = false;
    }
  }
}
