/** Stable machine-readable codes shared by every error this package throws. */
export type ErrorCode =
  | 'VALIDATION'
  | 'REJECTED'
  | 'CONCURRENCY'
  | 'NOT_FOUND'
  | 'ACTOR_FAILED'
  | 'STORE_UNAVAILABLE'
  | 'CONFIG'
  | 'CLOSED'
  | 'WORKER_FAILED'
  | 'DUPLICATE_EVENT'
  // cluster (src/cluster)
  | 'TIMEOUT'
  | 'NO_RESPONDERS'
  | 'NOT_OWNER'
  | 'REMOTE'
  | 'CORRUPT_EVENT'
  | 'FENCED'
  | 'STORE_FAILED';

/** Base class of every error the runtime throws; match on `code`, not on the message. */
export class RuntimeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** The input did not parse: an unknown command type, a missing field, a wrong type. */
export class ValidationError extends RuntimeError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[] = []) {
    super('VALIDATION', message);
    this.issues = issues;
  }
}

/** Why the decide step refused a command. */
export type RejectionReason =
  | 'ALREADY_EXISTS'
  | 'DELETED'
  | 'WRONG_KIND'
  | 'RESERVED_GENERIC'
  | 'SELF_CONTAINMENT'
  | 'EXIT_EXISTS'
  | 'EXIT_NOT_FOUND'
  | 'ITEM_ALREADY_HELD'
  | 'ITEM_NOT_HELD'
  | 'ITEM_EQUIPPED'
  | 'ITEM_ALREADY_EQUIPPED'
  | 'SLOT_OCCUPIED'
  | 'NOT_EQUIPPED'
  | 'SELF_REFERENCE'
  // A kind defined with defineAggregate names its own reasons.
  | (string & {});

/** A valid command that the aggregate's current state refuses; nothing was appended. */
export class CommandRejectedError extends RuntimeError {
  readonly reason: RejectionReason;
  readonly aggregateId: string;
  readonly commandType: string;
  constructor(reason: RejectionReason, aggregateId: string, commandType: string, message: string) {
    super('REJECTED', message);
    this.reason = reason;
    this.aggregateId = aggregateId;
    this.commandType = commandType;
  }
}

/** Optimistic concurrency: the stream was not at the expected version; nothing was written. */
export class ConcurrencyError extends RuntimeError {
  readonly streamId: string;
  readonly expected: string;
  readonly actual: number;
  constructor(streamId: string, expected: string, actual: number) {
    super('CONCURRENCY', `stream ${streamId}: expected version ${expected}, found ${actual}`);
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The aggregate was never created (or the asked-for point in its history does not exist). */
export class NotFoundError extends RuntimeError {
  readonly aggregateId: string;
  constructor(aggregateId: string, message = `aggregate ${aggregateId} does not exist`) {
    super('NOT_FOUND', message);
    this.aggregateId = aggregateId;
  }
}

/** An actor's handler threw; the actor was stopped and respawns from the store on its next message. */
export class ActorFailedError extends RuntimeError {
  readonly aggregateId: string;
  constructor(aggregateId: string, cause: unknown) {
    super('ACTOR_FAILED', `actor ${aggregateId} failed: ${describe(cause)}`, { cause });
    this.aggregateId = aggregateId;
  }
}

/** The store could not be reached or failed to write; the command was not acknowledged. */
export class StoreUnavailableError extends RuntimeError {
  constructor(message: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', message, { cause });
  }
}

/** Configuration did not validate; the message names the option path. */
export class ConfigError extends RuntimeError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** The runtime or store was used after close(). */
export class ClosedError extends RuntimeError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

/** A worker-pool task failed (the worker threw or died); the pool replaces the worker. */
export class WorkerFailedError extends RuntimeError {
  readonly task: string;
  constructor(task: string, cause: unknown) {
    super('WORKER_FAILED', `worker task ${task} failed: ${describe(cause)}`, { cause });
    this.task = task;
  }
}

function hasCode(e: unknown, code: ErrorCode): boolean {
  // instanceof fails across worker threads and duplicated module copies; the code does not.
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

const CODES: ReadonlySet<unknown> = new Set<ErrorCode>([
  'VALIDATION',
  'REJECTED',
  'CONCURRENCY',
  'NOT_FOUND',
  'ACTOR_FAILED',
  'STORE_UNAVAILABLE',
  'CONFIG',
  'CLOSED',
  'WORKER_FAILED',
  'DUPLICATE_EVENT',
  'TIMEOUT',
  'NO_RESPONDERS',
  'NOT_OWNER',
  'REMOTE',
  'CORRUPT_EVENT',
  'FENCED',
  'STORE_FAILED',
]);

export const isRuntimeError = (e: unknown): e is RuntimeError =>
  e instanceof RuntimeError || (e instanceof Error && CODES.has((e as { code?: unknown }).code));
export const isValidationError = (e: unknown): e is ValidationError => hasCode(e, 'VALIDATION');
export const isCommandRejectedError = (e: unknown): e is CommandRejectedError => hasCode(e, 'REJECTED');
export const isConcurrencyError = (e: unknown): e is ConcurrencyError => hasCode(e, 'CONCURRENCY');
export const isNotFoundError = (e: unknown): e is NotFoundError => hasCode(e, 'NOT_FOUND');
export const isActorFailedError = (e: unknown): e is ActorFailedError => hasCode(e, 'ACTOR_FAILED');
export const isStoreUnavailableError = (e: unknown): e is StoreUnavailableError =>
  hasCode(e, 'STORE_UNAVAILABLE');
export const isWorkerFailedError = (e: unknown): e is WorkerFailedError => hasCode(e, 'WORKER_FAILED');
export const isConfigError = (e: unknown): e is ConfigError => hasCode(e, 'CONFIG');

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  // Errors cloned across threads can arrive as plain objects.
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}

/** An aggregate definition the runtime cannot host (names the kind and what is wrong); thrown by createRuntime. */
export class DefinitionError extends ConfigError {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(`aggregate ${kind}: ${message}`);
    this.kind = kind;
  }
}
// --- cluster (src/cluster): failures of requests between nodes and of shard ownership ---

/** A request to another node got no answer in time; it may or may not have run there (retry with the same id). */
export class RequestTimeoutError extends RuntimeError {
  readonly subject: string;
  readonly timeoutMs: number;
  constructor(subject: string, timeoutMs: number, cause?: unknown) {
    super('TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`, { cause });
    this.subject = subject;
    this.timeoutMs = timeoutMs;
  }
}

/** Nobody listens on the subject: the node is gone (or not yet up); the request did not run anywhere. */
export class NoRespondersError extends RuntimeError {
  readonly subject: string;
  constructor(subject: string, cause?: unknown) {
    super('NO_RESPONDERS', `no responders on ${subject}`, { cause });
    this.subject = subject;
  }
}

/** This node does not (or no longer) hold the shard's lease; ask the current owner. Nothing was done. */
export class NotOwnerError extends RuntimeError {
  readonly shard: number;
  readonly node: string;
  constructor(shard: number, node: string, message = `node ${node} does not own shard ${shard}`) {
    super('NOT_OWNER', message);
    this.shard = shard;
    this.node = node;
  }
}

/** A handler on another node failed with something other than a RuntimeError; the message is its description. */
export class RemoteError extends RuntimeError {
  readonly node: string;
  constructor(node: string, message: string) {
    super('REMOTE', message);
    this.node = node;
  }
}

export const isRequestTimeoutError = (e: unknown): e is RequestTimeoutError => hasCode(e, 'TIMEOUT');
export const isNoRespondersError = (e: unknown): e is NoRespondersError => hasCode(e, 'NO_RESPONDERS');
export const isNotOwnerError = (e: unknown): e is NotOwnerError => hasCode(e, 'NOT_OWNER');
export const isRemoteError = (e: unknown): e is RemoteError => hasCode(e, 'REMOTE');
// --- CORRUPT_EVENT (issue 12) ---

/** Where a damaged event sits; the stream and version are unknown when the row could not be decoded at all. */
export interface CorruptEventLocation {
  readonly streamId?: string | undefined;
  readonly version?: number | undefined;
  /** Its global position, or (when not known) the last good position before it. */
  readonly position?: number | undefined;
  readonly afterPosition?: number | undefined;
}

/** A stored event could not be decoded or applied as stored: the data is damaged, not the caller's input. */
export class CorruptEventError extends RuntimeError {
  readonly streamId: string | undefined;
  readonly version: number | undefined;
  readonly position: number | undefined;
  readonly afterPosition: number | undefined;
  constructor(location: CorruptEventLocation, cause: unknown) {
    const where = location.streamId !== undefined
      ? `stream ${location.streamId} version ${location.version ?? '?'} position ${location.position ?? '?'}`
      : location.position !== undefined ? `position ${location.position}` : `the event after position ${location.afterPosition ?? '?'}`;
    super('CORRUPT_EVENT', `corrupt event at ${where}: ${describe(cause)}`, { cause });
    this.streamId = location.streamId;
    this.version = location.version;
    this.position = location.position;
    this.afterPosition = location.afterPosition;
  }
}

export const isCorruptEventError = (e: unknown): e is CorruptEventError => hasCode(e, 'CORRUPT_EVENT');

/**
 * An append carried an event id that is already stored in another stream (or at another place in
 * this one): nothing was written. A re-sent append (the same event ids, in the same stream, at the
 * same versions) is not an error: it returns the original result.
 */
export class DuplicateEventError extends RuntimeError {
  readonly eventId: string;
  readonly streamId: string;
  readonly existingStreamId: string;
  constructor(eventId: string, streamId: string, existingStreamId: string) {
    super('DUPLICATE_EVENT', `event ${eventId} appended to ${streamId} is already stored in ${existingStreamId}`);
    this.eventId = eventId;
    this.streamId = streamId;
    this.existingStreamId = existingStreamId;
  }
}
export const isDuplicateEventError = (e: unknown): e is DuplicateEventError => hasCode(e, 'DUPLICATE_EVENT');
// --- FENCED (issue 13: the epoch fence of the PostgreSQL store) ---

/**
 * An append carried a shard lease epoch older than the fence (a newer owner of the shard has written, or
 * the stream was last written under a newer epoch): this node lost the shard and must drop it. Nothing was
 * written.
 */
export class FencedError extends RuntimeError {
  readonly fence: string;
  readonly epoch: number;
  readonly currentEpoch: number;
  constructor(fence: string, epoch: number, currentEpoch: number) {
    super('FENCED', `append to ${fence} under epoch ${epoch} refused: fenced by epoch ${currentEpoch}`);
    this.fence = fence;
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}
export const isFencedError = (e: unknown): e is FencedError => hasCode(e, 'FENCED');
// --- STORE_FAILED (issue 12: the store's files changed under it) ---

/**
 * The store stopped acknowledging for good: what it writes would not survive (its database file or its
 * write-ahead log was removed or replaced under the open connection). Fail-stop: every later append fails
 * with this error until the process reopens the store; nothing more is acknowledged.
 */
export class StoreFailedError extends RuntimeError {
  constructor(message: string) {
    super('STORE_FAILED', message);
  }
}
export const isStoreFailedError = (e: unknown): e is StoreFailedError => hasCode(e, 'STORE_FAILED');
