/** The pieces the OpenAPI document (openapi.ts, openapi-topics.ts) is built of. */
import { ErrorCode } from '../errors.js';
import { ERROR_STATUS } from '../exchange/error-status.js';
import { Header } from '../protocol.js';

export type Json = Record<string, unknown>;

/** Responses for hub errors, grouped by status; each lists its codes in `x-error-codes`. */
export function errors(...codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ErrorCode.Unauthorized, ErrorCode.Internal]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: `A hub error: ${list.map((c) => `\`${c}\``).join(', ')} (docs/errors.md)`,
        'x-error-codes': list,
        headers: { [Header.Error]: { $ref: '#/components/headers/HubError' } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

export const header = (
  name: string,
  description: string,
  schema: Json = { type: 'string' },
): Json => ({
  name,
  in: 'header',
  description,
  schema,
});
export const query = (
  name: string,
  description: string,
  schema: Json = { type: 'string' },
): Json => ({
  name,
  in: 'query',
  description,
  schema,
});
export const pathParam = (
  name: string,
  description: string,
  schema: Json = { type: 'string' },
): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
