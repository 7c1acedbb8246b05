import { describeLoadChecks } from './load-check.ts';

describeLoadChecks('qwen2', { types: ['q8_0', 'q4_k'], vocabChecks: false });
