import type { TestProject } from 'vitest/node';
import { ImmudbTestServer } from './immudbServer.ts';
import { PostgresTestServer } from './postgresServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    immudbPort: number;
    postgresUrl: string;
  }
}

/**
 * One real ImmuDB and one real PostgreSQL server for the whole run, started side by side. If either
 * cannot be built or started, the run fails with the reason: never skipped. (`npm run test:unit` uses
 * vitest.unit.config.ts, which has no global setup and starts nothing.)
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const immudb = new ImmudbTestServer();
  const postgres = new PostgresTestServer();
  const started = await Promise.allSettled([immudb.start(), postgres.start()]);
  const dispose = async () => {
    await Promise.allSettled([immudb.dispose(), postgres.dispose()]);
  };
  const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await dispose();
    throw new Error(failures.map((f) => (f.reason as Error).message).join('\n'));
  }
  project.provide('immudbPort', immudb.port);
  project.provide('postgresUrl', postgres.connectionString);
  return dispose;
}
