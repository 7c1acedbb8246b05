/**
 * A one-shot hand-off between pages: the Train page leaves {model, adapter} here and switches to the
 * Activations page, whose state takes it once when it is created (before/after with the new adapter).
 */
export interface ActivationsHandoff {
  modelPath: string;
  adapterPath: string;
}

let pending: ActivationsHandoff | null = null;

export function leaveForActivations(value: ActivationsHandoff): void {
  pending = value;
}

/** Returns the pending hand-off once, then null. */
export function takeActivationsHandoff(): ActivationsHandoff | null {
  const value = pending;
  pending = null;
  return value;
}
