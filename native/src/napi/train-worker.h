// train-worker: the N-API seam of SOO LoRA training (src/train/soo-trainer.h) as one async job.
//
// JS: trainSoo(options, onProgress?) -> { promise: Promise<NativeTrainResult>, cancel(): void }
//   options: modelPath, layer, pairs: {self, other}[] (Int32Array | number[] token ids), outPath, threads,
//            and optional targets, rank, alpha, dropout, positions ('full' | 'last' | 'mean'), lr, beta1,
//            beta2, eps, weightDecay, epochs, batch, seed, checkpointPath, checkpointEvery, resumeFrom,
//            fastBackward. Field errors are thrown synchronously as bad_input naming the field.
//   onProgress({step, nSteps, epoch, loss, stepMs, tokensPerS}) once per optimizer step, every step
//   delivered (AsyncProgressQueueWorker: the loss curve reaches JS complete).
//   The promise resolves to {steps, losses: Float32Array, adapterPath} after the adapter is written
//   atomically to outPath; cancel() stops after the current step, writes a checkpoint when
//   checkpointPath is set (so the run can resume), and rejects with code 'cancelled'.
// Runs on a libuv pool thread; every exception becomes a rejected promise with code/file (never an abort).
#pragma once

#include <napi.h>

Napi::Value train_soo(const Napi::CallbackInfo & info);
