import { ErrorCode, HubError } from '../errors.js';
import { ASTROHUB_SERVICE_NAME_PATTERN, SERVICE_NAME_PATTERN } from '../protocol.js';

export function assertServiceName(name: string, pattern = SERVICE_NAME_PATTERN): void {
  if (!pattern.test(name)) {
    const colon = pattern === ASTROHUB_SERVICE_NAME_PATTERN ? ' : ' : ' ';
    throw new HubError(
      ErrorCode.InvalidServiceName,
      `invalid service name '${name.slice(0, 140)}': use 1-128 of A-Z a-z 0-9 .${colon}_ - starting with a letter or digit`,
    );
  }
}
