import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { isConfigError } from '../../src/errors.ts';
import { checkImmudbCredentials, explainStartupError } from '../../src/game/server/startupErrors.ts';

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

describe('server limits and start-up checks (issue 12)', () => {
  it('ships defaults for every limit and refuses inconsistent ones, naming the option', () => {
    const config = loadConfig('conf/server.yml', {});
    expect(config.server).toMatchObject({ maxConnectionsPerAddress: 20, loginSlots: 200, loginTimeoutMs: 60_000, maxOutputBytes: 262_144, shutdownGraceMs: 5000 });
    expect(configError(() => parseConfig({ server: { max_connections: 10, login_slots: 50 } }))).toBe('server.login_slots is invalid: must be at most max_connections (10)');
    expect(configError(() => parseConfig({ server: { max_output_bytes: 10 } }))).toMatch(/^server\.max_output_bytes is invalid/);
  });

  it("warns about ImmuDB's default credentials on loopback and refuses them elsewhere", () => {
    const immudb = (host: string, password = 'immudb') => loadConfig(write(`store: { kind: immudb, immudb: { host: ${host}, password: ${password} } }`), {});
    expect(checkImmudbCredentials(immudb('127.0.0.1'))).toMatch(/ImmuDB's defaults/);
    expect(checkImmudbCredentials(immudb('127.0.0.1', 'long-random-secret'))).toBeUndefined();
    expect(configError(() => checkImmudbCredentials(immudb('db.example.net')))).toMatch(/^store\.immudb\.password: .* refused for a server on db\.example\.net/);
    expect(checkImmudbCredentials(loadConfig('conf/server.yml', {}))).toBeUndefined(); // SQLite: nothing to say
  });

  it('explains start-up failures in one line naming the option', () => {
    const config = loadConfig('conf/server.yml', {});
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9464'), { code: 'EADDRINUSE', port: 9464 });
    expect(explainStartupError(inUse, config)).toBe('metrics.port: 127.0.0.1:9464 is already in use (EADDRINUSE); choose another port or stop what listens there');
    const file = write('x');
    const blocked = { ...config, sqlite: { ...config.sqlite, path: join(file, 'data', 'world.db') } };
    expect(explainStartupError(new Error('ENOTDIR'), blocked)).toBe(`store.sqlite.path: cannot create ${join(file, 'data', 'world.db')}: ${file} is a file, not a folder`);
    expect(explainStartupError(new Error('boom\n    at somewhere'))).toBe('boom');
  });
});
