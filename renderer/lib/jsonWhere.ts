/**
 * Where a JSON text failed to parse, for error messages that name a line and a column (textareas
 * where users edit JSON: the Experiments page's full config).
 */
/** "line L, column C: message" for a JSON.parse error (V8 reports a character position). */
export function jsonErrorWhere(text: string, error: Error): string {
  const at = /position (\d+)/.exec(error.message);
  if (!at) return error.message;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${error.message.replace(/ in JSON at position \d+.*$/, '')}`;
}
