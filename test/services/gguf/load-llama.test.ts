import { describeLoadChecks } from './load-check.ts';

describeLoadChecks('llama');
