import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { eventStoreContract } from '../contracts/eventStore.contract.ts';
import { postgresOptions } from '../support/postgres.ts';

eventStoreContract('PostgreSQL', async (extra) => {
  const options = postgresOptions(extra);
  return { store: await PostgresEventStore.open(options), reopen: () => PostgresEventStore.open(options) };
}, { durable: true, replayReader: true });
