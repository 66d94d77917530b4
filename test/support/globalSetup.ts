import type { TestProject } from 'vitest/node';
import { ImmudbTestServer } from './immudbServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    immudbPort: number;
  }
}

/** One real ImmuDB server for the whole run. If it cannot be built or started, the run fails: never skipped. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await new ImmudbTestServer().start();
  project.provide('immudbPort', server.port);
  return () => server.dispose();
}
