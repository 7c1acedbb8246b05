/**
 * bench:rl-env: how fast the RL experiment runs here. Prints
 *   1. environment steps per second with fixed actions (the env alone),
 *   2. steps per second with both actors acting (JS mirror forwards) and OU noise: the training loop
 *      without updates, as a ratio to (1),
 *   3. MADDPG update time (both agents) at batch 256 and 1024 (published) on the tfjs WASM backend,
 *   4. the projected time of a published baseline (40k episodes x 50 steps, an update per 100 steps).
 * Each measurement: a burn-in, then timed repetitions. Results are checked for sanity (finite
 * observations, finite losses) before they are timed. Run: npm run bench:rl-env [-- --seconds 3].
 */
import { DeceptionEnv } from '../../electron/services/rl/env.ts';
import { Rng } from '../../electron/services/rl/rng.ts';
import { initTf, tf } from '../../electron/services/rl/tf.ts';
import { Maddpg } from '../../electron/services/rl/maddpg/maddpg.ts';
import { OuNoise } from '../../electron/services/rl/maddpg/noise.ts';
import { TRANSITION_WIDTH } from '../../electron/services/rl/maddpg/replay.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;

/** Calls per wall second and per CPU second of this process (other load on the machine inflates wall time only). */
function timeLoop(fn: () => void, seconds: number): { perSecond: number; perCpuSecond: number; n: number } {
  const end = performance.now() + 200; // burn-in
  while (performance.now() < end) fn();
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: n / ((performance.now() - start) / 1000), perCpuSecond: n / ((cpu.user + cpu.system) / 1e6), n };
}

const env = new DeceptionEnv({ deceptiveBonus: true });
const rng = Rng.create(0);
const a = new Float32Array([0.3, -0.2]);
let t = 0;
env.reset(rng);
const envOnly = timeLoop(() => {
  const r = env.step(a, a);
  if (++t % 50 === 0) env.reset(rng);
  if (!Number.isFinite(r.obsBlue[0]!)) throw new Error('non-finite observation');
}, SECONDS);
const fmt = (r: { perSecond: number; perCpuSecond: number }) => `${Math.round(r.perSecond).toLocaleString('en')} steps/s wall, ${Math.round(r.perCpuSecond).toLocaleString('en')} per CPU second`;
console.log(`env alone:              ${fmt(envOnly)}`);

const backend = await initTf();
const m = new Maddpg({ gamma: 0.95, tau: 0.01, lr: 0.01, gradClip: 0.5, actionReg: 1e-3 }, 0);
const noise = { red: new OuNoise(2, 0.3), blue: new OuNoise(2, 0.3) };
const ar = new Float32Array(2);
const ab = new Float32Array(2);
let obs = env.reset(rng);
const acting = timeLoop(() => {
  m.red.act(obs.obsRed, ar);
  noise.red.addTo(ar, rng);
  m.blue.act(obs.obsBlue, ab);
  noise.blue.addTo(ab, rng);
  obs = env.step(ar, ab);
  if (++t % 50 === 0) obs = env.reset(rng);
}, SECONDS);
console.log(`env + 2 actors + noise: ${fmt(acting)} (${(acting.perCpuSecond / envOnly.perCpuSecond).toFixed(3)} of env alone)`);

const updateMs: Record<number, number> = {};
const updateCpuMs: Record<number, number> = {};
for (const batch of [256, 1024]) {
  const data = Float32Array.from({ length: batch * TRANSITION_WIDTH }, () => rng.range(-1, 1));
  for (let i = 0; i < 3; i++) m.update(data); // burn-in
  const n = 10;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const l = m.update(data);
    if (!Number.isFinite(l.criticBlue)) throw new Error('non-finite loss');
  }
  updateMs[batch] = (performance.now() - start) / n;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / n; // wall time overstates the cost on a shared machine
  updateCpuMs[batch] = cpuMs;
  console.log(`MADDPG update (both agents), batch ${batch}: ${updateMs[batch]!.toFixed(1)} ms wall, ${cpuMs.toFixed(1)} ms CPU (tfjs ${backend}, ${tf.memory().numTensors} live tensors)`);
}
const steps = 40_000 * 50;
const projected = steps / acting.perSecond + (steps / 100) * (updateMs[1024]! / 1000);
const projectedCpu = steps / acting.perCpuSecond + (steps / 100) * (updateCpuMs[1024]! / 1000);
console.log(`published baseline (40k episodes x 50 steps, batch 1024 every 100 steps): ~${(projected / 3600).toFixed(2)} h wall at this load, ~${(projectedCpu / 3600).toFixed(2)} h of one CPU core`);
m.dispose();
