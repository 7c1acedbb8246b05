/** Colours for charts from the app's CSS variables (app.css), so charts follow light and dark mode. */
export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
  base: string;
  adapter: string;
  font: string;
}

export function chartTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1d2320'),
    muted: v('--muted', '#5e6a63'),
    grid: v('--border', '#d8ddd4'),
    base: v('--muted', '#5e6a63'),
    adapter: v('--accent', '#2f6f62'),
    font: v('--font', 'system-ui, sans-serif'),
  };
}
