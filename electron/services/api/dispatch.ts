/**
 * The one place where a call from outside (IPC, the browser harness) enters the services:
 * check the name, parse the input with the contract's schema, run the handler, and turn every
 * outcome into data (`ApiResult`). Nothing thrown crosses a boundary.
 */
import { z } from 'zod';
import { api, isApiName, type ApiName, type ApiOutput, type ApiParsedInput, type ApiResult } from '../../contract/api.ts';
import { toErrorData, type ErrorData } from '../../contract/errors.ts';

/** One implementation per contract entry, receiving the parsed (defaults filled) input. */
export type ApiHandlers = { [N in ApiName]: (input: ApiParsedInput<N>) => Promise<ApiOutput<N>> | ApiOutput<N> };

/** Converts a zod error into our error data, one issue per problem with a JSON path ("$.n"). */
export function zodToErrorData(error: z.ZodError, what: string): ErrorData {
  const issues = error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
  const first = issues[0];
  return {
    code: 'bad_input',
    message: `invalid ${what}${first ? `: ${first.path}: ${first.message}` : ''}`,
    ...(first ? { path: first.path } : {}),
    issues,
  };
}

/** Formats a path as JSONPath: ["lists", "rooms", 3] -> "$.lists.rooms[3]". */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(String(s)) ? `.${String(s)}` : `[${JSON.stringify(String(s))}]`;
  return out;
}

export async function dispatch(handlers: ApiHandlers, name: unknown, rawInput: unknown): Promise<ApiResult<unknown>> {
  if (!isApiName(name)) {
    return { ok: false, error: { code: 'bad_input', message: `unknown API call ${JSON.stringify(name)}` } };
  }
  const parsed = api[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) return { ok: false, error: zodToErrorData(parsed.error, `input to ${name}`) };
  try {
    const handler = handlers[name] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: toErrorData(error) };
  }
}
