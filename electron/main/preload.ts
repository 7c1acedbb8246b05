/**
 * The preload bridge: exposes `window.soo`, one function per contract entry and nothing else
 * (never ipcRenderer itself). Runs sandboxed; bundled to CommonJS by vite.preload.config.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { apiNames, channelOf, type SooBridge } from '../contract/api.ts';

const bridge = Object.fromEntries(
  apiNames.map((name) => [name, (input: unknown) => ipcRenderer.invoke(channelOf(name), input)]),
) as SooBridge;

contextBridge.exposeInMainWorld('soo', bridge);
