/**
 * Runs before any zod schema is created (main.ts imports it first). The contract builds zod schemas at
 * module load, and zod probes `new Function("")` to decide whether to compile fast parsers; under our
 * CSP (script-src 'self', no 'unsafe-eval') that probe is a reported CSP violation even though zod
 * catches the error. `jitless` skips the probe; the renderer parses little, so speed does not matter.
 */
import { z } from 'zod';

z.config({ jitless: true });
