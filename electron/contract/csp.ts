/**
 * The renderer's Content Security Policy, sent as a header by the Electron main process and by the
 * browser harness, so the e2e tests run the renderer under exactly the policy the app ships with.
 * renderer/index.html repeats it in a meta tag without frame-ancestors (a meta tag cannot carry it).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
