/** Small formatting helpers of the Activations page. */

/** "1.2 MB" style sizes (powers of 1024, as file managers show). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A token piece made readable on an axis: leading/trailing spaces as "·", newlines as "⏎", empty as "␣". */
export function tokenLabel(piece: string): string {
  const shown = piece.replace(/\n/g, '⏎').replace(/^ +/, (s) => '·'.repeat(s.length));
  return shown === '' ? '␣' : shown;
}

/** Saves text as a file through a download link (a Blob URL, revoked afterwards). */
export function saveText(fileName: string, mimeType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
