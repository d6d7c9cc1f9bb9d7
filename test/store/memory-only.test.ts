/**
 * What only the in-process store promises, beyond the contract every store
 * keeps (contract.ts): its feed speaks within the transition's own turn of the
 * event loop, so a parked take gets a job before any I/O runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nanoid } from 'nanoid';
import { MemoryStore } from '../../src/store/memory-store.js';
import { jsonPayload } from '../support/config.js';
import { defaultStoreOptions, HeardFeed } from './contract.js';

test('[P-HANDOFF] the memory store tells work and outcomes before the turn ends', async () => {
  const store = new MemoryStore(defaultStoreOptions);
  const heard = new HeardFeed();
  let taken: string | undefined;
  heard.onWork = (service) => {
    void store.claimQueued(service, { count: 1, bytes: 1e9 }).then(([delivery]) => {
      taken = delivery?.id;
    });
  };
  await store.subscribe(heard);
  const id = nanoid();
  const job = {
    id,
    service: 'svc',
    deadline: Date.now() + 1000,
    maxAttempts: 1,
    payload: jsonPayload({}),
  };
  await store.enqueue(job, { requireWorkers: false });
  const turn = new Promise((resolve) => setImmediate(resolve));
  await Promise.resolve();
  assert.ok(taken, 'taken within the same turn');
  await store.answer(taken, {
    status: 200,
    contentType: undefined,
    headers: {},
    body: new Uint8Array(),
  });
  assert.equal(heard.toldFor(id), 1, 'the outcome told within the answer');
  await turn;
});
