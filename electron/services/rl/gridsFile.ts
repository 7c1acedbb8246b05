/**
 * grids.json: the deceptive-action grids of one RL report, saved next to the report run
 * (`<dataDir>/rl/<report id>/grids.json`): per agent, the 100 x 100 threshold counts (row-major
 * [i * 100 + j], metrics/grid.ts) summed over the report's `episodes` evaluation episodes.
 * RlService.report writes it from the evaluation it has just played; RlViews reads it for the
 * contour plots and the HTML report (and computes it only for reports made before this file existed).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { badInput } from '../../contract/errors.ts';
import type { AgentRole } from './policies.ts';

export const GRIDS_FORMAT = 'soo-lab-rl-grids';

export interface GridsFile {
  format: typeof GRIDS_FORMAT;
  version: 1;
  episodes: number;
  agents: { run: string; role: AgentRole; seed: number; counts: number[] }[];
}

/** Where a report's grids live: next to its (never written) checkpoint path. */
export function gridsPath(reportCheckpointPath: string): string {
  return path.join(path.dirname(reportCheckpointPath), 'grids.json');
}

/** The saved grids, or null when there are none; a file of another format is bad input. */
export function readGridsFile(file: string): GridsFile | null {
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as GridsFile;
  if (parsed.format !== GRIDS_FORMAT || parsed.version !== 1) throw badInput(`${file}: not a ${GRIDS_FORMAT} v1 file`);
  return parsed;
}

/** Writes atomically (temporary file, then rename); returns the bytes written. */
export function writeGridsFile(file: string, body: GridsFile): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = JSON.stringify(body);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return Buffer.byteLength(text);
}
