import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { isConfigError } from '../../src/errors.ts';

const write = (text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'aethyr-conf-')), 'server.yml');
  writeFileSync(path, text);
  return path;
};
const configError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  it('the shipped conf/server.yml is valid and safe: SQLite, full durability, loopback servers', () => {
    const config = loadConfig('conf/server.yml', {});
    expect(config.store).toEqual({ kind: 'sqlite', path: 'data/world.db', durability: 'full', groupCommitWindowMs: 0, busyTimeoutMs: 5000 });
    expect(config.snapshotThreshold).toBe(100);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4000, commandBurst: 20 });
    expect(config.metricsServer).toEqual({ host: '127.0.0.1', port: 9464 });
  });
  it('a missing or empty file means documented defaults', () => {
    expect(loadConfig('/nonexistent/server.yml', {}).snapshotThreshold).toBe(100);
    expect(loadConfig(write(''), {}).maxLiveActors).toBe(100_000);
  });
  it('environment variables override the file', () => {
    const config = loadConfig(write('event_sourcing:\n  snapshot_threshold: 7\n'), {
      AETHYR_SQLITE_PATH: '/tmp/x.db',
      AETHYR_SERVER_PORT: '4100',
      AETHYR_DURABILITY: 'normal',
    });
    expect(config.snapshotThreshold).toBe(7);
    expect(config.sqlite.path).toBe('/tmp/x.db');
    expect(config.sqlite.durability).toBe('normal');
    expect(config.server.port).toBe(4100);
    expect(loadConfig(write(''), { AETHYR_SNAPSHOT_THRESHOLD: '9' }).snapshotThreshold).toBe(9);
  });
  it('selects PostgreSQL with its address from AETHYR_POSTGRES_URL, never a default address', () => {
    const config = loadConfig(write('store: { kind: postgres }'), { AETHYR_POSTGRES_URL: 'postgres://aethyr@127.0.0.1:5432/aethyr' });
    expect(config.store).toEqual({ kind: 'postgres', connectionString: 'postgres://aethyr@127.0.0.1:5432/aethyr', schema: 'aethyr', poolSize: 10 });
    expect(loadConfig(write(''), {}).postgres).toBeUndefined();
  });
  it('names the option that is wrong', () => {
    expect(configError(() => parseConfig({ event_sourcing: { snapshot_threshold: 0 } }))).toMatch(/^event_sourcing\.snapshot_threshold /);
    expect(configError(() => parseConfig({ store: { sqlite: { durability: 'sometimes' } } }))).toMatch(/^store\.sqlite\.durability /);
    expect(configError(() => parseConfig({ server: { port: 70000 } }))).toMatch(/^server\.port /);
    expect(configError(() => parseConfig({ store: { kind: 'mysql' } }))).toMatch(/^store\.kind /);
    expect(configError(() => parseConfig({ store: { kind: 'postgres' } }))).toMatch(/^store\.postgres\.connection_string .*required when store\.kind is postgres/);
    expect(configError(() => parseConfig({ store: { postgres: { schema: 'Bad-Name' } } }))).toMatch(/^store\.postgres\.schema /);
    expect(configError(() => parseConfig({ evnt_sourcing: {} }))).toMatch(/evnt_sourcing/);
    expect(configError(() => parseConfig({}, { AETHYR_METRICS_PORT: 'many' }))).toMatch(/AETHYR_METRICS_PORT \(metrics\.port\) must be an integer/);
    expect(configError(() => parseConfig([1, 2]))).toMatch(/mapping/);
  });
  it('reports YAML that does not parse', () => {
    expect(configError(() => loadConfig(write('store: [unclosed'), {}))).toMatch(/not valid YAML/);
  });
});
