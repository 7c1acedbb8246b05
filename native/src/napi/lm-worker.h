// lm-worker: the N-API seam of full-parameter LM training (src/lm/lm-trainer.h) as one async job.
//
// JS: trainLm(options, onProgress?) -> { promise: Promise<NativeLmResult>, cancel(): void }
//   options (native/index.d.ts NativeLmTrainOptions): modelPath, outPath, sequences: {tokens, weights}[]
//   (Int32Array | number[], Float32Array | number[]), steps, batch, lr, seed, threads, and optional frozen
//   (default ['token_embd.weight']), lrMin (0), warmup (0), weightDecay (0), beta1 (0.9), beta2 (0.999),
//   eps (1e-8), gradClip (0 = off), lengthBuckets (0 = off), metadata (string KVs for the output file). Field errors are thrown
//   synchronously as bad_input naming the field; model-dependent errors (frozen names, vocabulary, context)
//   reject the promise with bad_input and `file`.
//   onProgress({step, nSteps, loss, lr, stepMs, tokensPerS}) once per step, every step delivered.
//   The promise resolves to {steps, losses: Float32Array, outPath} after the model is written atomically;
//   cancel() stops after the current step and rejects with code 'cancelled' (nothing is written).
// Runs on a libuv pool thread; every exception becomes a rejected promise with code/file (never an abort).
#pragma once

#include <napi.h>

Napi::Value train_lm(const Napi::CallbackInfo & info);
