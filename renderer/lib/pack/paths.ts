/**
 * JSON paths as the services write them in issues ("$.lists.rooms.test[3]", `["odd key"]` for keys
 * that are not identifiers; see electron/services/api/dispatch.ts `jsonPath`), so form fields can
 * find the issues that belong to them.
 */

export type PathSegment = string | number;

export function jsonPath(...segments: PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    out += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** True when `path` is `base` itself or lies inside it. */
export function isWithin(path: string, base: string): boolean {
  if (path === base) return true;
  if (!path.startsWith(base)) return false;
  const next = path[base.length];
  return next === '.' || next === '[';
}
