import { InMemoryEventStore } from '../../src/testing/index.ts';
import { eventStoreContract } from '../contracts/eventStore.contract.ts';

eventStoreContract('in-memory', async () => ({ store: new InMemoryEventStore() }), { durable: false, replayReader: false });
