import { describeLoadChecks } from './load-check.ts';

describeLoadChecks('qwen2');
