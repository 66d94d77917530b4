/**
 * Child process for the kill test: projects a store in batches of 50, printing the position of each
 * event as it is applied (inside the batch's transaction, before it commits), until killed.
 */
import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import { openProjectionDb } from '../../src/projections/projectionDb.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { worldProjection } from '../../src/projections/worldProjection.ts';

const [storePath, projectionPath] = process.argv.slice(2) as [string, string];
const store = new SqliteEventStore({ path: storePath });
const db = openProjectionDb(projectionPath);
const apply = worldProjection(db);
// Slow each event down a little, so the parent's kill lands in the middle of a batch.
const slow = (event: Parameters<typeof apply>[0]) => {
  apply(event);
  writeSync(1, `${event.position}\n`);
  const until = Date.now() + 2;
  while (Date.now() < until);
};
const projector = new Projector(store, db, slow, { name: 'world', batchSize: 50 });
await projector.catchUp();
writeSync(1, 'done\n');
