/**
 * chart.js through `{@attach}`: `{@attach chart(createHeatmap, () => data)}` creates the chart when the
 * canvas mounts, updates it in place whenever `data` changes, and destroys it as the cleanup.
 * The data is read in an inner effect, so a change updates the chart instead of re-running the attachment.
 */
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import type { ChartHandle } from './heatmap.ts';

export function chart<T>(create: (canvas: HTMLCanvasElement, data: T) => ChartHandle<T>, data: () => T): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const handle = create(canvas, untrack(data));
    let first = true;
    $effect(() => {
      const next = data();
      if (first) {
        first = false;
        return;
      }
      handle.update(next);
    });
    return () => handle.destroy();
  };
}
