import { ErrorCode, HubError } from '../errors.js';

/** Letters, digits, `.`, `_` and `-`; starts with a letter or digit; 1 to 128 characters. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertServiceName(name: string): void {
  if (!SERVICE_NAME_PATTERN.test(name)) {
    throw new HubError(
      ErrorCode.InvalidServiceName,
      `invalid service name '${name.slice(0, 140)}': use 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
}
