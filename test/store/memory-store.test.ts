import { MemoryStore } from '../../src/store/memory-store.js';
import { defaultStoreOptions, runJobStoreContract, type StoreFactory } from './contract.js';
import { runEventDocStoreContract } from './event-doc-contract.js';
import { runTopicStoreContract } from './topic-contract.js';
import { runWebhookStoreContract } from './webhook-contract.js';

const factory: StoreFactory = (options) => new MemoryStore({ ...defaultStoreOptions, ...options });
runJobStoreContract('MemoryStore', factory);
runTopicStoreContract('MemoryStore', factory);
runWebhookStoreContract('MemoryStore', factory);
runEventDocStoreContract('MemoryStore', factory);
