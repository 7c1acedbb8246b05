/**
 * The preload bridge: exposes `window.soo`, one function per contract entry plus `onEvent` for pushed
 * events, and nothing else (never ipcRenderer itself). Runs sandboxed; bundled to CommonJS by
 * vite.preload.config.ts.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { apiNames, channelOf, type SooBridge } from '../contract/api.ts';
import { EVENT_CHANNEL, apiEventNames, type ApiEventMessage } from '../contract/events.ts';

const calls = Object.fromEntries(apiNames.map((name) => [name, (input: unknown) => ipcRenderer.invoke(channelOf(name), input)]));

const bridge = {
  ...calls,
  onEvent(name: string, handler: (data: unknown) => void): () => void {
    if (!(apiEventNames as string[]).includes(name)) throw new Error(`unknown event ${name}`);
    const listener = (_event: IpcRendererEvent, message: ApiEventMessage) => {
      if (message.name === name) handler(message.data);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  },
} as SooBridge;

contextBridge.exposeInMainWorld('soo', bridge);
