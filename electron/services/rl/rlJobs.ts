/**
 * The RL operations as jobs (the app's way to run long work): each returns a job id at once; progress
 * (episodes, with live numbers such as blue_goal_frac or soo_term) arrives as `onJobProgress`, the
 * result (the same object `soo-lab rl ... --json` prints, with run_id) as `onJobDone`; `jobs.cancel`
 * stops after the current episode and the run keeps its checkpoint for `resumeStart`.
 * The contract entries (rl.trainStart, ...) and the RL page call these; nothing else lives here.
 */
import type { JobRunner } from '../jobs/jobs.ts';
import type { SooConfigInput, TrainConfigInput } from './config.ts';
import type { RlEvalInput, RlReportInput, RlService } from './service.ts';

export class RlJobs {
  readonly #jobs: JobRunner;
  readonly #rl: RlService;

  constructor(jobs: JobRunner, rl: RlService) {
    this.#jobs = jobs;
    this.#rl = rl;
  }

  trainStart(input: TrainConfigInput): { jobId: string } {
    return this.#start(`RL train ${input.mode} seed ${input.seed ?? 0}`, (call) => this.#rl.train(input, call));
  }

  sooStart(input: SooConfigInput): { jobId: string } {
    return this.#start(`RL SOO fine-tuning from ${input.fromRunId.slice(0, 8)}`, (call) => this.#rl.soo(input, call));
  }

  resumeStart(runId: string, episodes?: number): { jobId: string } {
    return this.#start(`RL resume ${runId.slice(0, 8)}`, (call) => this.#rl.resume(runId, { episodes }, call));
  }

  evalStart(input: RlEvalInput): { jobId: string } {
    return this.#start(`RL eval ${input.runIds.length} run(s)`, (call) => this.#rl.evaluate(input, call));
  }

  reportStart(input: RlReportInput = {}): { jobId: string } {
    return this.#start('RL report', (call) => this.#rl.report(input, call));
  }

  #start(label: string, work: (call: Parameters<RlService['train']>[1]) => Promise<unknown>): { jobId: string } {
    const { jobId } = this.#jobs.start('rl', label, (ctx) => work({ signal: ctx.signal, onProgress: ctx.onProgress }));
    return { jobId };
  }
}
