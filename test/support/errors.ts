import { isHubError } from '../../src/errors.js';

/** For `assert.rejects`: a HubError with this code, and a message matching `message` if given. */
export function hasCode(code: string, message?: RegExp): (error: unknown) => boolean {
  return (error) =>
    isHubError(error) &&
    error.code === code &&
    (message === undefined || message.test(error.message));
}
