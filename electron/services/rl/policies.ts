/**
 * The actors of a finished (or checkpointed) RL run, loaded from its checkpoint file: a baseline run
 * ('train', MADDPG) gives its red and blue actors; a SOO run ('soo') gives the fine-tuned blue and the
 * frozen red of its source run. The role says what blue is: 'honest', 'deceptive' or 'soo'.
 */
import { ACTION_DIM, BLUE_OBS_DIM, RED_OBS_DIM } from './env.ts';
import { Rng } from './rng.ts';
import { Mlp } from './maddpg/mlp.ts';
import { readCheckpoint } from './checkpoint.ts';
import { MADDPG_CHECKPOINT, type MaddpgCheckpoint } from './train.ts';
import { SOO_CHECKPOINT, type SooCheckpoint } from './soo.ts';

export type AgentRole = 'honest' | 'deceptive' | 'soo';

export interface RunActors extends Disposable {
  role: AgentRole;
  seed: number;
  episodeLength: number;
  red: Mlp;
  blue: Mlp;
}

export function loadRunActors(action: 'train' | 'soo', checkpointFile: string): RunActors {
  const rng = Rng.create(0, 999); // initial values are overwritten by load()
  const red = new Mlp(RED_OBS_DIM, ACTION_DIM, rng, 'eval/red');
  const blue = new Mlp(BLUE_OBS_DIM, ACTION_DIM, rng, 'eval/blue');
  let role: AgentRole;
  let seed: number;
  let episodeLength: number;
  if (action === 'train') {
    const c = readCheckpoint<MaddpgCheckpoint>(checkpointFile, MADDPG_CHECKPOINT);
    red.load(c.nets.red.actor);
    blue.load(c.nets.blue.actor);
    role = c.config.mode;
    seed = c.config.seed;
    episodeLength = c.config.episodeLength;
  } else {
    const c = readCheckpoint<SooCheckpoint>(checkpointFile, SOO_CHECKPOINT);
    red.load(c.red);
    blue.load(c.blue);
    role = 'soo';
    seed = c.config.seed;
    episodeLength = c.config.episodeLength;
  }
  const dispose = () => {
    red.dispose();
    blue.dispose();
  };
  return { role, seed, episodeLength, red, blue, [Symbol.dispose]: dispose };
}
