import { ImmudbClient } from '../src/eventStore/immudb/ImmudbClient.ts';
import { ImmudbEventStore } from '../src/eventStore/immudb/ImmudbEventStore.ts';
import { IMMUDB_PASSWORD, IMMUDB_USER, ImmudbTestServer } from '../test/support/immudbServer.ts';
import { timed, type Benchmark } from './lib/harness.ts';
import { storeVsRaw } from './lib/storeVsRaw.ts';

/**
 * Append and replay throughput on a real ImmuDB server (built and started here), against raw batched
 * SQL inserts and paged reads of equivalent rows through the same client, in the same run.
 */
export const immudb: Benchmark = async ({ quick, log }) => {
  const total = quick ? 2_000 : 20_000;
  const server = await new ImmudbTestServer().start();
  try {
    const options = { host: '127.0.0.1', port: server.port, user: IMMUDB_USER, password: IMMUDB_PASSWORD, timeoutMs: 30_000 };
    const raw = await ImmudbClient.connect({ ...options, database: 'rawbench' });
    await raw.exec('CREATE TABLE IF NOT EXISTS events (position INTEGER, stream_id VARCHAR[128], version INTEGER, type VARCHAR[64], data VARCHAR, metadata VARCHAR, PRIMARY KEY position)');
    await raw.exec('CREATE UNIQUE INDEX IF NOT EXISTS ON events(stream_id, version)');
    const batch = 150;
    const rawAppend = await timed(async () => {
      for (let i = 0; i < total; i += batch) {
        const values: string[] = [];
        const params: Record<string, string | number> = {};
        for (let k = i; k < Math.min(total, i + batch); k++) {
          values.push(`(${k + 1}, @s${k}, ${Math.floor(k / 1000) + 1}, 'GameObjectAttributeUpdated', @d${k}, @m${k})`);
          Object.assign(params, { [`s${k}`]: `obj-${k % 1000}`, [`d${k}`]: JSON.stringify({ key: 'hp', value: k }), [`m${k}`]: '{"correlationId":"c","causationId":null,"actorId":null}' });
        }
        await raw.exec(`INSERT INTO events (position, stream_id, version, type, data, metadata) VALUES ${values.join(', ')}`, params);
      }
    });
    const rawRead = await timed(async () => {
      let n = 0;
      for (let after = 0; ; ) {
        const rows = await raw.query('SELECT position, data, metadata FROM events WHERE position > @after ORDER BY position LIMIT 1000', { after });
        for (const row of rows) {
          JSON.parse(row[1] as string);
          JSON.parse(row[2] as string);
        }
        n += rows.length;
        if (rows.length < 1000) return n;
        after = rows.at(-1)?.[0] as number;
      }
    });
    raw.close();

    const store = await ImmudbEventStore.open({ ...options, database: 'oursbench' });
    try {
      return await storeVsRaw('immudb', store, total, { appendSeconds: rawAppend.seconds, readSeconds: rawRead.seconds, rowsRead: rawRead.result }, { server: 'immudb v1.11.1 (built here)', rawBatch: batch }, log, ['ours also hashes, checks versions per stream and validates every event on read']);
    } finally {
      await store.close();
    }
  } finally {
    await server.dispose();
  }
};
