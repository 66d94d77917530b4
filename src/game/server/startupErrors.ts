import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RuntimeConfig } from '../../config/loadConfig.ts';
import { ConfigError, describe, isConfigError, isRuntimeError } from '../../errors.ts';

/** A listen failure as a ConfigError naming the option: `server.port: 127.0.0.1:4000 is already in use`. */
export function listenError(error: unknown, section: 'server' | 'metrics', host: string, port: number): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new ConfigError(`${section}.port: ${where} is already in use (EADDRINUSE); choose another port or stop what listens there`);
  if (code === 'EACCES') return new ConfigError(`${section}.port: not permitted to listen on ${where} (EACCES); use a port above 1023`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError(`${section}.host: ${host} is not an address of this machine (${code})`);
  return new ConfigError(`${section}.port: cannot listen on ${where}: ${describe(error)}`);
}

/** The first folder on the way to `path` that is a file (so nothing can be created there), if any. */
function blockedBy(path: string): string | undefined {
  let dir = dirname(resolve(path));
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const folder of chain) {
    try {
      if (!statSync(folder).isDirectory()) return folder;
    } catch {
      return undefined; // missing folders are created
    }
  }
  return undefined;
}

/**
 * The one line printed when the server cannot start: the option to fix and why, never a stack trace.
 * Configured paths under a regular file and ports in use are named by their option.
 */
export function explainStartupError(error: unknown, config?: RuntimeConfig): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (config && code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    const section = port === config.metricsServer.port ? 'metrics' : 'server';
    const host = section === 'metrics' ? config.metricsServer.host : config.server.host;
    return listenError(error, section, host, port ?? config.server.port).message;
  }
  if (config) {
    const paths: [string, string][] = [
      ['store.sqlite.path', config.sqlite.path],
      ['projections.path', config.projections.path],
      ['store.immudb.checkpoint_file', config.immudb.checkpointFile],
    ];
    for (const [option, path] of paths) {
      const file = blockedBy(path);
      if (file) return `${option}: cannot create ${path}: ${file} is a file, not a folder`;
    }
  }
  const message = describe(error).split('\n')[0] ?? 'unknown error';
  if (isConfigError(error)) return message;
  return isRuntimeError(error) ? `${error.code}: ${message}` : message;
}

const DEFAULT_IMMUDB = { user: 'immudb', password: 'immudb' };

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * ImmuDB's factory superuser (immudb/immudb) lets anyone who can reach the server rewrite the world.
 * With the ImmuDB store selected and those credentials configured: a warning to print on a loopback
 * host, a ConfigError naming the option on any other. Undefined when nothing is wrong.
 */
export function checkImmudbCredentials(config: RuntimeConfig): string | undefined {
  if (config.store.kind !== 'immudb') return undefined;
  const { host, user, password } = config.immudb;
  if (user !== DEFAULT_IMMUDB.user || password !== DEFAULT_IMMUDB.password) return undefined;
  if (!isLoopback(host)) {
    throw new ConfigError(`store.immudb.password: ImmuDB's default credentials (immudb/immudb) are refused for a server on ${host}; set IMMUDB_USER and IMMUDB_PASSWORD`);
  }
  return `Warning: store.immudb.user/password are ImmuDB's defaults (immudb/immudb); anyone on this machine can write to the world. Set IMMUDB_PASSWORD.`;
}
