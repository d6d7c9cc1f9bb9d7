import { ErrorCode, HubError } from '../errors.js';

/** Letters, digits, `.`, `_` and `-`; starts with a letter or digit; 1 to 128 characters. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** AstroHub routed any path segment; its users named services such as `math:add`. */
export const ASTROHUB_SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function assertServiceName(name: string, pattern = SERVICE_NAME_PATTERN): void {
  if (!pattern.test(name)) {
    const colon = pattern === ASTROHUB_SERVICE_NAME_PATTERN ? ' : ' : ' ';
    throw new HubError(
      ErrorCode.InvalidServiceName,
      `invalid service name '${name.slice(0, 140)}': use 1-128 of A-Z a-z 0-9 .${colon}_ - starting with a letter or digit`,
    );
  }
}
