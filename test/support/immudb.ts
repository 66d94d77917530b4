import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ImmudbEventStore, type ImmudbEventStoreOptions } from '../../src/eventStore/immudb/ImmudbEventStore.ts';
import { IMMUDB_PASSWORD, IMMUDB_USER } from './immudbServer.ts';

/** Connection options to the run's ImmuDB server, with a fresh database of its own. */
export function immudbOptions(overrides: Partial<ImmudbEventStoreOptions> = {}): ImmudbEventStoreOptions {
  return {
    host: '127.0.0.1',
    port: inject('immudbPort'),
    user: IMMUDB_USER,
    password: IMMUDB_PASSWORD,
    database: `t${randomBytes(6).toString('hex')}`,
    timeoutMs: 5000,
    retry: { attempts: 3, baseDelayMs: 20 },
    ...overrides,
  };
}

export const openImmudbStore = (overrides: Partial<ImmudbEventStoreOptions> = {}) => ImmudbEventStore.open(immudbOptions(overrides));
