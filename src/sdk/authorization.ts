/** `Authorization: Bearer <token>`, or no header without a token. */
export function authorizationHeader(token: string | undefined): Record<string, string> {
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
}
