import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { Network } from '../config.js';
import type { WebhookSender } from '../core/webhooks.js';

/**
 * Where the hub never delivers a webhook unless `HUB_WEBHOOK_ALLOW_NETWORKS`
 * opens it ([P-WEBHOOK-TARGETS]): this machine (loopback, "this network"),
 * link-local (169.254.0.0/16 holds the cloud metadata services: AWS, GCP,
 * Azure, OpenStack at 169.254.169.254, Oracle at 169.254.169.254 too), and the
 * other metadata addresses (AWS's IPv6 one, Alibaba's).
 */
const REFUSED_BY_DEFAULT: readonly Network[] = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '0.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '169.254.0.0', prefix: 16, family: 'ipv4' },
  { address: '100.100.100.200', prefix: 32, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
  { address: '::', prefix: 128, family: 'ipv6' },
  { address: 'fe80::', prefix: 10, family: 'ipv6' },
  { address: 'fd00:ec2::254', prefix: 128, family: 'ipv6' },
  // IPv4-mapped IPv6 addresses are checked as their IPv4 address (targetAllowed).
];

/** Which addresses a delivery may connect to: the allow list, else not the default or deny lists. */
export class WebhookTargets {
  readonly #refused = new BlockList();
  readonly #denied = new BlockList();
  readonly #allowed = new BlockList();

  constructor(options: { allow: readonly Network[]; deny: readonly Network[] }) {
    add(this.#refused, REFUSED_BY_DEFAULT);
    add(this.#denied, options.deny);
    add(this.#allowed, options.allow);
  }

  /** Whether a delivery may connect to `address` (an IP address). */
  allows(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const ip = mapped ?? address;
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (this.#denied.check(ip, family)) return false;
    if (this.#allowed.check(ip, family)) return true;
    return !this.#refused.check(ip, family);
  }
}

function add(list: BlockList, networks: readonly Network[]): void {
  for (const { address, prefix, family } of networks) list.addSubnet(address, prefix, family);
}

/**
 * Deliveries over undici, checked where it matters: on the address the host
 * name resolves to when the connection is made (a lookup of our own that
 * refuses, so a name that resolves to a refused address, or changes to one
 * after a check, never connects), and on an address written in the URL, which
 * needs no lookup. Redirects are not followed: a 3xx is a failed delivery.
 */
export function webhookSender(targets: WebhookTargets): WebhookSender {
  const checkedLookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((entry) => !targets.allows(entry.address));
      if (refused) return callback(refusedAddress(hostname, refused.address), '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
  // undici follows no redirect unless told to.
  const agent = new Agent({ connect: { lookup: checkedLookup } as never });
  return {
    async post(address, body, headers, timeoutMs) {
      const host = new URL(address).hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && !targets.allows(host)) throw refusedAddress(host, host);
      const response = await request(address, {
        method: 'POST',
        body,
        headers,
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      return response.statusCode;
    },
  };
}

function refusedAddress(host: string, address: string): Error {
  return new Error(
    `${host} is ${address}, where webhooks are not delivered (HUB_WEBHOOK_ALLOW_NETWORKS opens it)`,
  );
}
