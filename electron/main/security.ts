/**
 * The window's security settings in one place (Electron security checklist items 3, 4, 7, 13, 14, 17):
 * a strict CSP on every response, navigation and new windows denied, permission requests denied.
 */
import { session, shell, type BrowserWindow, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../contract/csp.ts';

/** Applies the CSP header and denies every permission (camera, notifications, ...) for the default session. */
export function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

/** Locks a window to the URL it was opened on: no navigation, no new windows (links open in the OS browser). */
export function lockNavigation(window: BrowserWindow, allowedOrigin: string): void {
  const contents: WebContents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(allowedOrigin)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
