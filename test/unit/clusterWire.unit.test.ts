import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../../src/cluster/clusterOptions.ts';
import { decodeError, encodeError, registerRemoteError } from '../../src/cluster/remoteErrors.ts';
import {
  ActorFailedError,
  CommandRejectedError,
  NotOwnerError,
  RemoteError,
  RuntimeError,
  ValidationError,
  isActorFailedError,
  isConfigError,
  isNotOwnerError,
  isValidationError,
} from '../../src/errors.ts';

/** What the other node sees: through JSON, as on the wire. */
const roundTrip = (error: unknown): RuntimeError => decodeError(JSON.parse(JSON.stringify(encodeError(error, 'n1'))), 'n1');

describe('errors across nodes', () => {
  it('keeps class, code, message and data fields', () => {
    const validation = roundTrip(new ValidationError('bad command', [{ path: 'data.name', message: 'required' }]));
    expect(validation).toBeInstanceOf(ValidationError);
    expect(isValidationError(validation)).toBe(true);
    expect(validation).toMatchObject({ code: 'VALIDATION', message: 'bad command', issues: [{ path: 'data.name', message: 'required' }] });

    const notOwner = roundTrip(new NotOwnerError(7, 'n1'));
    expect(isNotOwnerError(notOwner)).toBe(true);
    expect(notOwner).toMatchObject({ shard: 7, node: 'n1', message: 'node n1 does not own shard 7' });

    // the message a constructor built on the remote side is kept as it was, not rebuilt around itself
    const failed = roundTrip(new ActorFailedError('room:hall', new Error('boom')));
    expect(isActorFailedError(failed)).toBe(true);
    expect(failed.message).toBe('actor room:hall failed: boom');
  });

  it('turns anything that is not a RuntimeError into REMOTE with the node and description', () => {
    for (const thrown of [new TypeError('x is undefined'), 'a string', { message: 'object' }]) {
      const error = roundTrip(thrown);
      expect(error).toBeInstanceOf(RemoteError);
      expect(error).toMatchObject({ code: 'REMOTE', node: 'n1' });
    }
  });

  it('drops fields that cannot cross, and rebuilds unknown codes as a RuntimeError with that code', () => {
    const error = new CommandRejectedError('DELETED', 'item:1', 'Take', 'gone') as CommandRejectedError & { callback?: unknown; loop?: unknown };
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    Object.assign(error, { callback: () => 1, loop });
    const wire = encodeError(error, 'n1');
    expect(Object.keys(wire.fields).sort()).toEqual(['aggregateId', 'commandType', 'reason']);

    const unknown = decodeError({ code: 'FUTURE_CODE', name: 'FutureError', message: 'later', fields: {} }, 'n2');
    expect(unknown).toBeInstanceOf(RuntimeError);
    expect(unknown).toMatchObject({ code: 'FUTURE_CODE', name: 'FutureError', message: 'later' });

    class FutureError extends RuntimeError {}
    registerRemoteError('FUTURE_CODE', FutureError);
    expect(decodeError({ code: 'FUTURE_CODE', name: 'FutureError', message: 'later', fields: {} }, 'n2')).toBeInstanceOf(FutureError);
  });
});

describe('cluster options', () => {
  it('fills defaults derived from the lease TTL', () => {
    const o = resolveClusterOptions({ world: 'w', node: 'n' });
    expect(o).toMatchObject({ shards: 256, leaseTtlMs: 10_000, renewEveryMs: 2000, safetyMarginMs: 1000, kvTimeoutMs: 1000, replicas: 3 });
  });

  it('refuses unusable settings with errors that name the option', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ world: 'a.b', node: 'n' }, /cluster\.world/],
      [{ world: 'w', node: '' }, /cluster\.node/],
      [{ world: 'w', node: 'n', shards: 0 }, /cluster\.shards/],
      [{ world: 'w', node: 'n', leaseTtlMs: 1000, renewEveryMs: 600 }, /cluster\.renewEveryMs/],
      [{ world: 'w', node: 'n', leaseTtlMs: 1000, safetyMarginMs: 600, renewEveryMs: 100 }, /cluster\.safetyMarginMs/],
      [{ world: 'w', node: 'n', replicas: 2 }, /cluster\.replicas/],
      [{ world: 'w', node: 'n', ttl: 5 }, /cluster/],
    ];
    for (const [input, message] of cases) {
      let thrown: unknown;
      try {
        resolveClusterOptions(input as never);
      } catch (error) {
        thrown = error;
      }
      expect(isConfigError(thrown), JSON.stringify(input)).toBe(true);
      expect((thrown as Error).message).toMatch(message);
    }
  });
});
