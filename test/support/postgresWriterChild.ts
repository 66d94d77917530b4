/**
 * Child process for the two-process PostgreSQL test: a runtime of its own appends `count` events to one
 * stream, each at the version it read (a lost race is read again and retried), then prints how many.
 */
import { writeSync } from 'node:fs';
import { isConcurrencyError } from '../../src/errors.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { attribute, newEvents } from './events.ts';

const [connectionString, schema, name, count] = [process.argv[2] as string, process.argv[3] as string, process.argv[4] as string, Number(process.argv[5])];
const store = await PostgresEventStore.open({ connectionString, schema, poolSize: 2 });
let written = 0;
while (written < count) {
  const version = await store.streamVersion('hall');
  try {
    await store.appendToStream('hall', newEvents(attribute(name, written)), { expectedVersion: version });
    written++;
  } catch (error) {
    if (!isConcurrencyError(error)) throw error;
  }
}
await store.close();
writeSync(1, `${written}\n`);
