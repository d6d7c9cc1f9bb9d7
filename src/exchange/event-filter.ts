import type { TopicMessage } from '../domain/topic.js';
import { ErrorCode, HubError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Which messages a subscription sends; undefined: every one. */
export type MessageFilter = ((message: TopicMessage) => boolean) | undefined;

/**
 * `?version=<n>` on a subscription to an event's topic
 * (docs/events-protocol.md): only envelopes of that version. A message that
 * is not an envelope is not one of them. A skipped message still moves the
 * subscription's last id on (it was looked at), so resuming after that id
 * neither misses a matching message nor sends one twice.
 */
export function versionFilter(raw: string | null | undefined): MessageFilter {
  if (raw === undefined || raw === null) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `?version must be an event version, a whole number from 1, got '${raw.slice(0, 40)}'`,
    );
  }
  const version = Number(raw);
  return (message) => {
    try {
      const value = JSON.parse(utf8.decode(message.body)) as { version?: unknown } | null;
      return value?.version === version;
    } catch {
      return false;
    }
  };
}
