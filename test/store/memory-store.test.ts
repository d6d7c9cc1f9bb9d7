import { MemoryStore } from '../../src/store/memory-store.js';
import { defaultStoreOptions, runJobStoreContract } from './contract.js';

runJobStoreContract(
  'MemoryStore',
  (options) => new MemoryStore({ ...defaultStoreOptions, ...options }),
);
