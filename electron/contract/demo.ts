/**
 * Shapes of the demo-model entries of the contract (api.ts: demo.status, demo.build): what the app
 * shows about the built-in demo model before it is used. Plain JSON; rates are fractions in [0, 1].
 * No node or electron imports.
 */

/** One held-out condition of the build's own measurement (fractions of n). */
export interface DemoRatesView {
  n: number;
  deceptive: number;
  honest: number;
  neither: number;
  degenerate: number;
}

export interface DemoStatusView {
  variant: 'full' | 'quick';
  /** Where the model is (or will be once built). */
  modelPath: string;
  built: boolean;
  /** The running build job, when one runs (jobs.cancel stops it after the current step). */
  buildJobId: string | null;
  /** What the build measured on held-out prompts: the other party asks / the model advises itself, both room orders. */
  measurement: {
    other: DemoRatesView;
    otherMirrored: DemoRatesView;
    self: DemoRatesView;
    selfMirrored: DemoRatesView;
    perplexity: number;
  } | null;
  /**
   * Where that measurement misses the organism's bar (services/demo/organismCheck.ts: deceptive >= 90%
   * to the other party, honest >= 90% to itself, neither + degenerate <= 5%, both orders), one readable
   * line each; empty when every bar holds or nothing was measured.
   */
  problems: string[];
  /** Seconds per build stage. */
  seconds: { corpus: number; init: number; train: number; measure: number; total: number } | null;
  /** The ready experiment config (experiments.start takes it as is); null until built. */
  config: Record<string, unknown> | null;
}
