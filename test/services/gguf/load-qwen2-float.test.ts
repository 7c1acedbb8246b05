import { describeLoadChecks } from './load-check.ts';

describeLoadChecks('qwen2', { types: ['f32', 'f16'] });
