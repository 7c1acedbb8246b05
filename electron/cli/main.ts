/**
 * `soo-lab`: the headless face of SOO Lab. Every command calls the same services the app calls;
 * no logic lives only here. Contract: ../shared/docs/cli.md (exit codes 0/1/2, --json, --db).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SooError } from '../contract/errors.ts';
import { EXIT_BAD_INPUT, parsePositiveInt } from './command-kit.ts';
import { registerEvalCommand } from './commands/eval.ts';
import { registerMakeModelCommand } from './commands/make-model.ts';
import { registerScenarioCommands } from './commands/scenario.ts';
import { registerTapsCommand } from './commands/taps.ts';
import { registerLatentCommand } from './commands/latent.ts';
import { registerRlCommands } from './commands/rl.ts';
import { registerExperimentCommand } from './commands/experiment.ts';
import { registerRunsCommands } from './commands/runs.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerTrainCommand } from './commands/train.ts';
import { registerDemoCommand } from './commands/demo.ts';

const program = new Command('soo-lab')
  .description('SOO Lab: Self-Other Overlap fine-tuning of GGUF language models, headless.')
  .option('--json', 'print the result as one JSON object on stdout (progress goes to stderr)')
  .option('--db <path>', 'SQLite database file (env SOO_LAB_DB; default: the app data folder)')
  .option('--threads <n>', 'CPU threads for commands that compute', parsePositiveInt('--threads'))
  .showHelpAfterError()
  .exitOverride();

registerScenarioCommands(program);
registerMakeModelCommand(program);
registerTapsCommand(program);
registerLatentCommand(program);
registerTrainCommand(program);
registerEvalCommand(program);
registerRlCommands(program);
registerExperimentCommand(program);
registerRunsCommands(program);
registerReportCommand(program);
registerDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  } else if (error instanceof SooError || error instanceof InvalidArgumentError) {
    process.stderr.write(`soo-lab: ${error.message}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  } else {
    throw error;
  }
}
