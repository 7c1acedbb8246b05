/**
 * A run as one JSON document (`soo-lab runs export`, the Runs page's JSON export): the run record,
 * its steps, responses, metrics and artifacts, and the same for every child run (an experiment's
 * stages), recursively. Plain data; numbers as stored.
 */
import type { MtBenchJudgementRow } from '../experiments/mtbenchStore.ts';
import type { RunRecord, RunRepository } from '../store/runs.ts';

export interface RunExport {
  format: 'soo-lab/run-export@1';
  run: RunRecord;
  steps: ReturnType<RunRepository['steps']>;
  responses: ReturnType<RunRepository['responses']>;
  metrics: ReturnType<RunRepository['metrics']>;
  artifacts: ReturnType<RunRepository['artifacts']>;
  /** MT-Bench judgements (question, answer, judge output, rating); only on runs that have some. */
  mtbenchJudgements?: MtBenchJudgementRow[];
  children: Omit<RunExport, 'format'>[];
}

/** `judgements` reads a run's MT-Bench rows (ExperimentService.mtBenchJudgements); without it they are left out. */
export function exportRun(runs: RunRepository, run: RunRecord, judgements?: (runId: string) => MtBenchJudgementRow[]): RunExport {
  const one = (r: RunRecord): Omit<RunExport, 'format'> => {
    const mt = judgements?.(r.id) ?? [];
    return {
      run: r,
      steps: runs.steps(r.id),
      responses: runs.responses(r.id),
      metrics: runs.metrics(r.id),
      artifacts: runs.artifacts(r.id),
      ...(mt.length ? { mtbenchJudgements: mt } : {}),
      children: runs.list({ parentId: r.id, limit: 100_000 }).reverse().map(one),
    };
  };
  return { format: 'soo-lab/run-export@1', ...one(run) };
}
