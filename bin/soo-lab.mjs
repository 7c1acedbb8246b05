#!/usr/bin/env node
// The `soo-lab` command. The CLI is TypeScript run through tsx, so a clone works after `npm ci`
// with no build step; the app and the CLI share the same service modules.
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/main.ts');
