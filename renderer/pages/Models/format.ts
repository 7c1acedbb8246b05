/** Number formats of the Models page: sizes in binary units, parameter counts in K/M/B. */

/** 5221856 -> "4.98 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

/** 7241732096 -> "7.24 B", 1234567 -> "1.23 M". */
export function formatParameters(n: number | null): string {
  if (n === null) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** "MOSTLY_Q4_K_M" -> "Q4_K_M", "ALL_F32" -> "F32": the quantization as people name it. */
export function quantName(fileType: string | null): string {
  if (!fileType) return '—';
  return fileType.replace(/^(MOSTLY|ALL)_/, '');
}
