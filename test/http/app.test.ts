import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../support/config.js';

// Issue 13: naming one path position `:deliveryId` on one route and `:jobId` on
// another made Hono's SmartRouter give up its RegExpRouter for the TrieRouter,
// and the plain worker path lost about a tenth of its throughput.
test("createApp's routes fit Hono's RegExpRouter, with auth off and on", async () => {
  for (const authTokens of ['', '{"tokens":[{"token":"admin-token-0123456789","role":"admin"}]}']) {
    const { app } = testApp({ authTokens });
    await app.request('/healthz');
    const { router } = app as unknown as { router: { name: string } };
    assert.equal(router.name, 'SmartRouter + RegExpRouter');
  }
});
