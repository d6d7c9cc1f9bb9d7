/**
 * The EventDocStore conformance suite (src/store/event-doc-store.ts), run
 * against every store through the job store's factory, twins included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeardFeed, type StoreFactory } from './contract.js';

export function runEventDocStoreContract(name: string, factory: StoreFactory): void {
  const makeStore = async (maxDocs = 100, maxBytes = 1024 * 1024) => {
    const store = await factory({ eventDocs: { maxDocs, maxBytes } });
    await store.subscribe(new HeardFeed());
    return store;
  };
  describe(`${name} - EventDocStore contract`, () => {
    test('[P-EVENT-CATALOGUE] a service keeps the last documentation sent, as sent; others have none', async () => {
      const store = await makeStore();
      const first = { doc: '{"doc":"adds","n":65484548474984654}', worker: 'w1', at: 1000 };
      assert.equal(await store.eventDocs.put('add.v1', first), true);
      assert.deepEqual(Object.fromEntries(await store.eventDocs.get(['add.v1', 'add.v2'])), {
        'add.v1': first,
      });
      const second = { doc: '{"doc":"adds two"}', worker: 'w2', at: 2000 };
      assert.equal(await store.eventDocs.put('add.v1', second), true);
      assert.deepEqual((await store.eventDocs.get(['add.v1'])).get('add.v1'), second);
      assert.equal((await store.eventDocs.get([])).size, 0);
      await store.close();
    });

    test('[P-EVENT-CATALOGUE] documentation is kept for at most maxServices services; a known one is still replaced', async () => {
      const store = await makeStore(2);
      const record = (worker: string) => ({ doc: '{}', worker, at: 1 });
      assert.equal(await store.eventDocs.put('a.v1', record('w')), true);
      assert.equal(await store.eventDocs.put('b.v1', record('w')), true);
      assert.equal(await store.eventDocs.put('c.v1', record('w')), false);
      assert.equal(await store.eventDocs.put('a.v1', record('again')), true);
      assert.deepEqual(
        [...(await store.eventDocs.get(['a.v1', 'b.v1', 'c.v1'])).entries()].map(
          ([service, r]) => `${service} ${r.worker}`,
        ),
        ['a.v1 again', 'b.v1 w'],
      );
      await store.close();
    });

    test('[P-EVENT-CATALOGUE] documentation is kept up to maxBytes in all, each record as stored; a smaller one frees room', async () => {
      // Each record below is stored as its JSON: 256 bytes of doc and the rest.
      const record = (worker: string, docBytes = 256) => ({
        doc: JSON.stringify({ doc: 'x'.repeat(docBytes - 10) }),
        worker,
        at: 1,
      });
      const size = Buffer.byteLength(JSON.stringify(record('w')));
      const store = await makeStore(100, 3 * size);
      assert.equal(await store.eventDocs.put('a.v1', record('w')), true);
      assert.equal(await store.eventDocs.put('b.v1', record('w')), true);
      assert.equal(await store.eventDocs.put('c.v1', record('w')), true);
      assert.equal(await store.eventDocs.put('d.v1', record('w')), false, 'over the budget');
      // Replacing a record counts the difference: a larger one is refused, a smaller one frees room.
      assert.equal(await store.eventDocs.put('a.v1', record('w', 300)), false);
      assert.equal(await store.eventDocs.put('a.v1', record('w', 20)), true);
      assert.equal(await store.eventDocs.put('d.v1', record('w', 100)), true);
      assert.deepEqual(
        [...(await store.eventDocs.get(['a.v1', 'b.v1', 'c.v1', 'd.v1'])).keys()],
        ['a.v1', 'b.v1', 'c.v1', 'd.v1'],
      );
      assert.equal((await store.eventDocs.get(['a.v1'])).get('a.v1')?.doc, record('w', 20).doc);
      await store.close();
    });

    test('[P-EVENT-CATALOGUE] a twin on the same backend reads what the first kept', async (t) => {
      if (!factory.twin) {
        t.skip('the store has no twin (it keeps its data in its process)');
        return;
      }
      const store = await makeStore();
      const twin = await factory.twin(store);
      await twin.subscribe(new HeardFeed());
      await store.eventDocs.put('add.v1', { doc: '{"doc":"x"}', worker: 'w', at: 5 });
      assert.equal((await twin.eventDocs.get(['add.v1'])).get('add.v1')?.doc, '{"doc":"x"}');
      await twin.close();
      await store.close();
    });
  });
}
