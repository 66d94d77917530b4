import {
  ActorFailedError,
  ClosedError,
  CommandRejectedError,
  ConcurrencyError,
  ConfigError,
  NoRespondersError,
  NotFoundError,
  NotOwnerError,
  FencedError,
  RemoteError,
  RequestTimeoutError,
  RuntimeError,
  StoreUnavailableError,
  ValidationError,
  WorkerFailedError,
  describe,
  isRuntimeError,
} from '../errors.ts';

/** An error as it crosses the wire: its code, class name, message and its own data fields (reason, issues, ...). */
export interface WireError {
  readonly code: string;
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => RuntimeError;

/**
 * Which class rebuilds an error with a given code. Every class in src/errors.ts is here; a module that adds
 * its own RuntimeError subclass registers it (`registerRemoteError`) so it arrives as itself, not as a base
 * RuntimeError. Keyed by code because the guards (`isNotFoundError`) match on code.
 */
const classes = new Map<string, ErrorClass>([
  ['VALIDATION', ValidationError],
  ['REJECTED', CommandRejectedError],
  ['CONCURRENCY', ConcurrencyError],
  ['NOT_FOUND', NotFoundError],
  ['ACTOR_FAILED', ActorFailedError],
  ['STORE_UNAVAILABLE', StoreUnavailableError],
  ['CONFIG', ConfigError],
  ['CLOSED', ClosedError],
  ['WORKER_FAILED', WorkerFailedError],
  ['TIMEOUT', RequestTimeoutError],
  ['NO_RESPONDERS', NoRespondersError],
  ['NOT_OWNER', NotOwnerError],
  ['REMOTE', RemoteError],
  ['FENCED', FencedError],
]);

export function registerRemoteError(code: string, errorClass: ErrorClass): void {
  classes.set(code, errorClass);
}

const NOT_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'code']);

/** Turns whatever a handler threw into a wire error; anything that is not a RuntimeError becomes REMOTE. */
export function encodeError(error: unknown, node: string): WireError {
  if (!isRuntimeError(error)) {
    return { code: 'REMOTE', name: 'RemoteError', message: `node ${node}: ${describe(error)}`, fields: { node } };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    // Only plain data crosses: a field that does not survive JSON (a function, a cyclic object) is dropped.
    if (NOT_FIELDS.has(key)) continue;
    try {
      fields[key] = JSON.parse(JSON.stringify(value)) as unknown;
    } catch {
      // not serializable: leave it out rather than fail the reply
    }
  }
  return { code: error.code, name: error.name, message: error.message, fields };
}

/**
 * Rebuilds a wire error as an instance of the class registered for its code (so `instanceof` and the
 * `isXxxError` guards both work), with the remote message and data. Constructors are bypassed because their
 * signatures differ and some build the message themselves: the remote message is the truth.
 */
export function decodeError(wire: WireError, node: string): RuntimeError {
  const errorClass = classes.get(wire.code) ?? RuntimeError;
  const error = Object.create(errorClass.prototype as object) as RuntimeError;
  const local = new Error(wire.message);
  Object.defineProperties(error, {
    message: { value: wire.message, writable: true, configurable: true },
    stack: { value: `${wire.name}: ${wire.message}\n    at node ${node}${local.stack?.slice(local.stack.indexOf('\n')) ?? ''}`, writable: true, configurable: true },
  });
  Object.assign(error, wire.fields, { name: wire.name, code: wire.code });
  return error;
}
