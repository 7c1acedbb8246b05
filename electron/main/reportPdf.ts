/**
 * PDF of an experiment's report: the self-contained HTML (services' reports.html) loaded into a hidden,
 * sandboxed window with JavaScript off, printed with Chromium's printToPDF, returned as base64.
 * Electron only (the harness and the CLI answer reports.pdf with an error).
 */
import { BrowserWindow } from 'electron';
import type { Services } from '../services/index.ts';

export async function reportPdf(services: Services, runId: string): Promise<{ fileName: string; mimeType: string; text: string }> {
  const html = services.experimentViews.reportHtml(runId);
  const window = new BrowserWindow({ show: false, webPreferences: { sandbox: true, contextIsolation: true, javascript: false, nodeIntegration: false } });
  try {
    window.webContents.on('will-navigate', (e) => e.preventDefault());
    await window.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html.text, 'utf8').toString('base64')}`);
    const pdf = await window.webContents.printToPDF({ printBackground: true, pageSize: 'A4', preferCSSPageSize: false });
    return { fileName: html.fileName.replace(/\.html$/, '.pdf'), mimeType: 'application/pdf', text: pdf.toString('base64') };
  } finally {
    window.destroy();
  }
}
