import { InMemoryEventStore } from '../../src/testing/index.ts';
import { eventStoreContract } from '../contracts/eventStore.contract.ts';

eventStoreContract('in-memory', async (options) => ({ store: new InMemoryEventStore(options) }), { durable: false, replayReader: false });
