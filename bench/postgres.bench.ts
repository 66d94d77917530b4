import pg from 'pg';
import { PostgresEventStore } from '../src/eventStore/postgres/PostgresEventStore.ts';
import { PostgresTestServer } from '../test/support/postgresServer.ts';
import { silentLogger } from '../src/runtime/logger.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { round, timed, type Benchmark } from './lib/harness.ts';
import { storeVsRaw } from './lib/storeVsRaw.ts';

/**
 * Append and replay throughput on a real PostgreSQL server (started here, fsync off as in the tests),
 * against raw batched inserts and paged reads of equivalent rows through the same `pg` client, same run.
 */
export const postgres: Benchmark = async ({ quick, log }) => {
  const total = quick ? 5_000 : 50_000;
  const server = await new PostgresTestServer().start();
  try {
    const raw = new pg.Client({ connectionString: server.connectionString });
    await raw.connect();
    await raw.query(`CREATE TABLE raw_events (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text, version bigint,
      type text, data text, metadata text, UNIQUE (stream_id, version))`);
    const batch = 500;
    const rawAppend = await timed(async () => {
      for (let i = 0; i < total; i += batch) {
        const ks = Array.from({ length: Math.min(batch, total - i) }, (_, j) => i + j);
        await raw.query(
          `INSERT INTO raw_events (stream_id, version, type, data, metadata)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
          [ks.map((k) => `obj-${k % 1000}`), ks.map((k) => Math.floor(k / 1000) + 1), ks.map(() => 'GameObjectAttributeUpdated'), ks.map((k) => JSON.stringify({ key: 'hp', value: k })), ks.map(() => '{"correlationId":"c","causationId":null,"actorId":null}')],
        );
      }
    });
    const rawRead = await timed(async () => {
      let n = 0;
      for (let after = 0; ; ) {
        const { rows } = await raw.query<{ position: string; data: string; metadata: string }>('SELECT position, data, metadata FROM raw_events WHERE position > $1 ORDER BY position LIMIT 1000', [after]);
        for (const row of rows) {
          JSON.parse(row.data);
          JSON.parse(row.metadata);
        }
        n += rows.length;
        if (rows.length < 1000) return n;
        after = Number(rows.at(-1)?.position);
      }
    });
    await raw.end();

    const store = await PostgresEventStore.open({ connectionString: server.connectionString, schema: 'bench' });
    let result;
    try {
      result = await storeVsRaw('postgres', store, total, { appendSeconds: rawAppend.seconds, readSeconds: rawRead.seconds, rowsRead: rawRead.result }, { server: 'PostgreSQL 15 (Debian package, started here, fsync off)', rawBatch: batch }, log, ['ours also checks versions and event ids per append, hashes both chains under the write lock, and validates every event on read']);
    } finally {
      await store.close();
    }
    // Durable commands through the runtime on this server (validate, decide, append, apply), all sent at once.
    const commands = quick ? 5_000 : 20_000;
    const aggregates = 1_000;
    const runtime = createRuntime({ store: { kind: 'postgres', connectionString: server.connectionString, schema: 'commands' }, logger: silentLogger });
    await Promise.all(Array.from({ length: aggregates }, (_, i) => runtime.execute({ type: 'CreateGameObject', id: `obj-${i}`, name: 'thing', generic: 'item' })));
    const run = await timed(() => Promise.all(Array.from({ length: commands }, (_, i) => runtime.execute({ type: 'UpdateGameObjectAttribute', id: `obj-${i % aggregates}`, key: 'hp', value: i }))));
    await runtime.close();
    const rate = Math.round(commands / run.seconds);
    log(`runtime on postgres: ${rate} commands/s (${aggregates} aggregates)`);
    return {
      ...result,
      figures: { ...result.figures, [`runtime commands/s (${aggregates} aggregates)`]: rate },
      ratios: { ...result.ratios, commands: round(rate / (total / rawAppend.seconds)) },
    };
  } finally {
    await server.dispose();
  }
};
