/**
 * One IPC handler per contract entry, generated from the contract: check the sender (our window's
 * main frame, on our own origin), then `dispatch` parses the input with the entry's schema and calls
 * the service. Errors come back as data (`ApiResult`), never as thrown exceptions.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { apiNames, channelOf } from '../contract/api.ts';
import { EVENT_CHANNEL } from '../contract/events.ts';
import { dispatch, type ApiHandlers } from '../services/api/dispatch.ts';
import type { JobRunner } from '../services/jobs/jobs.ts';

export function registerIpcHandlers(handlers: ApiHandlers, isTrustedUrl: (url: string) => boolean): () => void {
  for (const name of apiNames) {
    ipcMain.handle(channelOf(name), async (event: IpcMainInvokeEvent, input: unknown) => {
      const frame = event.senderFrame;
      if (!frame || frame !== event.sender.mainFrame || !isTrustedUrl(frame.url)) {
        return { ok: false, error: { code: 'bad_input', message: `IPC call ${name} from an untrusted frame refused` } };
      }
      return dispatch(handlers, name, input);
    });
  }
  return () => {
    for (const name of apiNames) ipcMain.removeHandler(channelOf(name));
  };
}

/** Pushes every job event to every open window on the one event channel. */
export function forwardEvents(jobs: JobRunner, windows: () => BrowserWindow[]): () => void {
  return jobs.subscribe((message) => {
    for (const window of windows()) if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, message);
  });
}
