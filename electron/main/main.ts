/**
 * The Electron main process: lifecycle, the one window, and wiring the services to IPC.
 * Everything that computes lives in electron/services (plain Node); this file only glues.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow } from 'electron';
import { createServices, type Services } from '../services/index.ts';
import { createApiHandlers } from '../services/api/handlers.ts';
import { forwardEvents, registerIpcHandlers } from './ipc.ts';
import { hardenSession, lockNavigation } from './security.ts';
import { reportPdf } from './reportPdf.ts';

// Injected by the Electron Forge Vite plugin: the dev server URL in `npm start`, undefined when packaged.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

const here = import.meta.dirname;
/** resources/ and migrations/ ship beside the app (electron-builder extraResources) or sit in the repo. */
const appRoot = app.isPackaged ? process.resourcesPath : app.getAppPath();

let services: Services | undefined;

function rendererUrl(): string {
  if (MAIN_WINDOW_VITE_DEV_SERVER_URL) return MAIN_WINDOW_VITE_DEV_SERVER_URL;
  return pathToFileURL(path.join(here, `../renderer/${MAIN_WINDOW_VITE_NAME}/index.html`)).href;
}

function createWindow(): void {
  const url = rendererUrl();
  const origin = url.startsWith('file:') ? pathToFileURL(path.join(here, '..')).href : new URL(url).origin;
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: 'SOO Lab',
    show: false,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      devTools: !app.isPackaged,
    },
  });
  lockNavigation(window, origin);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
}

app.enableSandbox();

app.whenReady().then(() => {
  hardenSession();
  services = createServices({
    dbPath: path.join(app.getPath('userData'), 'soo-lab.db'),
    resourcesDir: path.join(appRoot, 'resources'),
    migrationsDir: path.join(appRoot, 'migrations'),
    version: app.getVersion(),
  });
  const trusted = (frameUrl: string) => frameUrl.startsWith(rendererUrl().replace(/index\.html$/, ''));
  const live = services;
  registerIpcHandlers({ ...createApiHandlers(live), 'reports.pdf': ({ runId }) => reportPdf(live, runId) }, trusted);
  forwardEvents(services.jobs, () => BrowserWindow.getAllWindows());
  // First use: build the demo model in the background; the Experiments page shows its progress and
  // then opens its ready experiment (the build is cached, so later launches skip this).
  if (!services.demo.status().built) services.demo.startBuild();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => services?.dispose());
