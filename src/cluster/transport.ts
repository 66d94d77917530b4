import { randomUUID } from 'node:crypto';
import { errors as natsErrors, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import {
  ClosedError,
  NoRespondersError,
  RemoteError,
  RequestTimeoutError,
  ValidationError,
  describe,
  type RuntimeError,
} from '../errors.ts';
import { decodeError, encodeError, type WireError } from './remoteErrors.ts';
import { checkToken, rpcSubject } from './subjects.ts';

/** One remote operation: a name and the zod schemas of its request and reply (the codec). */
export interface Method<Req, Res> {
  readonly name: string;
  readonly request: z.ZodType<Req>;
  readonly response: z.ZodType<Res>;
}

export function defineMethod<Req, Res>(name: string, schemas: { request: z.ZodType<Req>; response: z.ZodType<Res> }): Method<Req, Res> {
  return { name, ...schemas };
}

export interface RequestContext {
  /** The request id: the same on every retry of one logical request. */
  readonly id: string;
  /** The node that sent it. */
  readonly from: string;
}

export type Handler<Req, Res> = (request: Req, context: RequestContext) => Promise<Res>;

export interface TransportOptions {
  readonly world: string;
  /** This node's id (unique among live members). */
  readonly node: string;
  /** Default per-attempt timeout in ms (default 2000). */
  readonly timeoutMs?: number;
  /** Send requests to this node over NATS and through the codec too, instead of calling the handler directly (tests). */
  readonly forceCodec?: boolean;
  /** How long a finished request's outcome is kept to answer a retry with the same id (default 60 s). */
  readonly dedupeMs?: number;
  /** At most this many remembered outcomes (default 10000); the oldest are forgotten first. */
  readonly dedupeMax?: number;
}

export interface CallOptions {
  /** Request id; generate one per logical request and reuse it on retries (default: a new UUID). */
  readonly id?: string;
  readonly timeoutMs?: number;
}

export interface RetryOptions extends CallOptions {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
  /** First back-off in ms, doubled per attempt up to 1 s, with jitter (default 25). */
  readonly backoffMs?: number;
}

/**
 * Codes after which the same request may be sent again (to the same or a newly resolved node). FENCED is
 * one: the node lost the shard while serving and wrote nothing, and the new owner takes the retry (the
 * request id keeps it from being stored twice).
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'NO_RESPONDERS', 'NOT_OWNER', 'FENCED']);

/** Outcomes not remembered for retries: the next attempt may well succeed (the shard moved, the store came back). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([...RETRYABLE_CODES, 'STORE_UNAVAILABLE', 'CLOSED']);

type Envelope = { readonly id: string; readonly method: string; readonly from: string; readonly body: unknown };
type Reply = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly error: WireError };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Registered {
  readonly method: Method<unknown, unknown>;
  readonly handler: Handler<unknown, unknown>;
}

/**
 * Request/reply between nodes over NATS. Each node listens on one subject; requests use the connection's
 * single multiplexed reply inbox (nats.js's default), which measured ~2-3x the throughput of one inbox per
 * request. Bodies are checked with the caller's zod schemas on both sides; errors come back as the same
 * RuntimeError subclass with the same code; timeouts and "no responders" are typed errors. A request id
 * makes retries idempotent: the serving node answers a repeated id with the first outcome instead of
 * running the handler again (and the id is what later becomes the event id, so the store dedupes too).
 */
export class Transport {
  readonly node: string;
  readonly world: string;
  readonly #nc: NatsConnection;
  readonly #options: Required<Omit<TransportOptions, 'world' | 'node'>>;
  readonly #handlers = new Map<string, Registered>();
  readonly #outcomes = new Map<string, { readonly reply: Promise<Reply>; readonly at: number }>();
  readonly #subscription: Subscription;
  #closed = false;

  constructor(nc: NatsConnection, options: TransportOptions) {
    this.#nc = nc;
    this.node = checkToken('cluster.node', options.node);
    this.world = checkToken('cluster.world', options.world);
    this.#options = { timeoutMs: 2000, forceCodec: false, dedupeMs: 60_000, dedupeMax: 10_000, ...options };
    this.#subscription = nc.subscribe(rpcSubject(this.world, this.node), { callback: (error, msg) => this.#onMessage(error, msg) });
  }

  /** Registers the handler of a method on this node (one per method name). */
  serve<Req, Res>(method: Method<Req, Res>, handler: Handler<Req, Res>): void {
    if (this.#handlers.has(method.name)) throw new ValidationError(`method ${method.name} is already served`);
    this.#handlers.set(method.name, { method: method as Method<unknown, unknown>, handler: handler as Handler<unknown, unknown> });
  }

  /** One attempt: resolves with the parsed reply or rejects with a typed RuntimeError. */
  async request<Req, Res>(node: string, method: Method<Req, Res>, body: Req, options: CallOptions = {}): Promise<Res> {
    if (this.#closed) throw new ClosedError('transport');
    const id = options.id ?? randomUUID();
    if (node === this.node && !this.#options.forceCodec) {
      const reply = await this.#handle({ id, method: method.name, from: this.node, body });
      if (!reply.ok) throw decodeError(reply.error, node);
      return reply.body as Res;
    }
    const subject = rpcSubject(this.world, node);
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    let msg: Msg;
    try {
      const envelope: Envelope = { id, method: method.name, from: this.node, body };
      msg = await this.#nc.request(subject, encoder.encode(JSON.stringify(envelope)), { timeout: timeoutMs });
    } catch (error) {
      throw classifyRequestFailure(error, subject, timeoutMs, this.#nc.isClosed());
    }
    const reply = parseJson(msg.data) as Reply | undefined;
    if (reply === undefined || typeof reply !== 'object' || typeof reply.ok !== 'boolean') {
      throw new RemoteError(node, `node ${node} sent an unreadable reply to ${method.name}`);
    }
    if (!reply.ok) throw decodeError(reply.error, node);
    const parsed = method.response.safeParse(reply.body);
    if (!parsed.success) throw schemaError(`reply of ${method.name} from node ${node}`, parsed.error);
    return parsed.data;
  }

  /**
   * Sends one logical request until it succeeds or fails for good: after a timeout, "no responders" or
   * "not owner" it asks `target` again (the shard may have moved) and resends the same id, with back-off.
   * `target` returning undefined means "no owner known yet": that counts as an attempt and waits.
   */
  async call<Req, Res>(target: () => string | undefined | Promise<string | undefined>, method: Method<Req, Res>, body: Req, options: RetryOptions = {}): Promise<Res> {
    const id = options.id ?? randomUUID();
    const attempts = options.attempts ?? 5;
    let backoff = options.backoffMs ?? 25;
    let last: RuntimeError = new NoRespondersError(`${method.name} (no owner)`);
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const node = await target();
      if (node !== undefined) {
        try {
          return await this.request(node, method, body, { id, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
        } catch (error) {
          if (!RETRYABLE_CODES.has((error as RuntimeError).code)) throw error;
          last = error as RuntimeError;
        }
      }
      if (attempt < attempts) {
        await new Promise((r) => setTimeout(r, backoff / 2 + Math.random() * backoff));
        backoff = Math.min(backoff * 2, 1000);
      }
    }
    throw last;
  }

  /** Stops serving (in-flight handlers finish and their replies are still sent). The connection is the caller's. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscription.drain();
  }

  #onMessage(error: Error | null, msg: Msg): void {
    if (error) return; // the subscription was closed; nothing to answer
    const envelope = parseJson(msg.data) as Envelope | undefined;
    if (!envelope || typeof envelope.id !== 'string' || typeof envelope.method !== 'string' || typeof envelope.from !== 'string') {
      // Garbage on the subject: answer with a typed error if we can, never crash the subscription.
      msg.respond(encoder.encode(JSON.stringify(failure(new ValidationError('malformed request envelope'), this.node))));
      return;
    }
    this.#remembered(envelope).then(
      (reply) => msg.respond(encoder.encode(JSON.stringify(reply))),
      // #handle never rejects; this guards against a reply that cannot be serialized.
      (failed: unknown) => msg.respond(encoder.encode(JSON.stringify(failure(failed, this.node)))),
    );
  }

  /** Answers a repeated request id with its first outcome (in flight or finished) instead of running it again. */
  #remembered(envelope: Envelope): Promise<Reply> {
    const now = Date.now();
    const key = `${envelope.method}\u0000${envelope.id}`;
    const known = this.#outcomes.get(key);
    if (known && now - known.at < this.#options.dedupeMs) return known.reply;
    const reply = this.#handle(envelope);
    this.#outcomes.set(key, { reply, at: now });
    const forget = (): boolean => this.#outcomes.delete(key);
    void reply.then((r) => (!r.ok && TRANSIENT_CODES.has(r.error.code) ? forget() : false), forget);
    this.#evict(now);
    return reply;
  }

  #evict(now: number): void {
    // Map iteration is insertion order: the oldest entries come first.
    for (const [key, outcome] of this.#outcomes) {
      if (this.#outcomes.size <= this.#options.dedupeMax && now - outcome.at < this.#options.dedupeMs) break;
      this.#outcomes.delete(key);
    }
  }

  async #handle(envelope: Envelope): Promise<Reply> {
    const registered = this.#handlers.get(envelope.method);
    if (!registered) return failure(new ValidationError(`node ${this.node} does not serve ${envelope.method}`), this.node);
    const parsed = registered.method.request.safeParse(envelope.body);
    if (!parsed.success) return failure(schemaError(`request ${envelope.method}`, parsed.error), this.node);
    try {
      const body = await registered.handler(parsed.data, { id: envelope.id, from: envelope.from });
      return { ok: true, body };
    } catch (error) {
      return failure(error, this.node);
    }
  }
}

function failure(error: unknown, node: string): Reply {
  return { ok: false, error: encodeError(error, node) };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data)) as unknown;
  } catch {
    return undefined;
  }
}

function schemaError(what: string, error: z.ZodError): ValidationError {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  return new ValidationError(`${what} does not match its schema: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, issues);
}

/** Maps nats.js request failures to our typed errors. */
function classifyRequestFailure(error: unknown, subject: string, timeoutMs: number, connectionClosed: boolean): RuntimeError {
  if (connectionClosed) return new ClosedError('NATS connection');
  if (error instanceof natsErrors.TimeoutError) return new RequestTimeoutError(subject, timeoutMs, error);
  if (error instanceof natsErrors.RequestError && error.isNoResponders()) return new NoRespondersError(subject, error);
  if (error instanceof natsErrors.NoRespondersError) return new NoRespondersError(subject, error);
  if (error instanceof natsErrors.ClosedConnectionError || error instanceof natsErrors.DrainingConnectionError) return new ClosedError('NATS connection');
  return new RemoteError('?', `request on ${subject} failed: ${describe(error)}`);
}
