/**
 * Exports of a run as files the browser saves: the run as JSON, the self-contained HTML report, every
 * results table as CSV (one file per table) or all of them as one JSON, and the PDF (Electron only).
 * Shared by the Reports and Runs pages.
 */
import type { ExportText } from '../../../electron/contract/api.ts';
import { api } from '../../lib/api.ts';

export type ExportKind = 'json' | 'html' | 'csv' | 'tables-json' | 'pdf';

/** Why PDF is not offered, or null when it is: printToPDF exists only in the desktop app (window.soo is its bridge). */
export function pdfUnavailableReason(): string | null {
  return typeof window !== 'undefined' && window.soo
    ? null
    : 'PDF needs the desktop app (Electron prints the report); here, save the HTML and print it from the browser';
}

/** The files of one export of one run. */
export async function fetchExport(kind: ExportKind, runId: string): Promise<ExportText[]> {
  switch (kind) {
    case 'json':
      return [await api['runs.export']({ runId })];
    case 'html':
      return [await api['reports.html']({ runId })];
    case 'pdf':
      return [await api['reports.pdf']({ runId })];
    case 'csv':
      return api['reports.tables']({ runId, format: 'csv' });
    case 'tables-json':
      return api['reports.tables']({ runId, format: 'json' });
  }
}

/** Hands each file to the browser's download (PDF bytes arrive as base64 text). */
export function saveFiles(files: ExportText[]): void {
  for (const f of files) {
    const a = document.createElement('a');
    const body = f.mimeType === 'application/pdf' ? Uint8Array.from(atob(f.text), (c) => c.charCodeAt(0)) : f.text;
    a.href = URL.createObjectURL(new Blob([body], { type: f.mimeType }));
    a.download = f.fileName;
    a.click();
    URL.revokeObjectURL(a.href);
  }
}
