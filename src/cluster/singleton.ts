import { performance } from 'node:perf_hooks';
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { errors as natsErrors, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { ConfigError, describe } from '../errors.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { checkToken } from './subjects.ts';

/** The bucket of a world's singleton leases (one key per singleton). */
export const singletonBucket = (world: string): string => `aethyr_${world}_singletons`;
/** A singleton holder answers on this subject while its NATS connection lives ("no responders": it is gone). */
export const singletonPingSubject = (world: string, name: string, node: string): string => `aethyr.${world}.singleton.${name}.${node}`;

export const singletonOptionsSchema = z.strictObject({
  world: z.string(),
  node: z.string(),
  /** Which singleton: a KV key and a subject token. */
  name: z.string(),
  /** Lease TTL: a holder that stops renewing loses it after this (default 5,000 ms). */
  ttlMs: z.number().int().min(300).default(5000),
  /** The holder renews this often (default a fifth of the TTL). */
  checkEveryMs: z.number().int().positive().optional(),
  /** A standby looks at the lease and pings its holder this often: a killed holder is replaced within about this. */
  standbyEveryMs: z.number().int().positive().default(250),
  /** The holder stops at renew-sent-time + TTL - margin, before the server can expire it (default a tenth of the TTL). */
  safetyMarginMs: z.number().int().positive().optional(),
  /** Replicas of the bucket: 3 on a 3-server NATS cluster, 1 on one server. */
  replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(3),
  /** How long to keep trying to open the bucket (JetStream may be electing a leader). */
  openTimeoutMs: z.number().int().positive().default(30_000),
});

export type SingletonOptionsInput = z.input<typeof singletonOptionsSchema>;

/** Why this node stopped holding the lease. */
export type SingletonLossReason = 'taken' | 'expired' | 'closed';

export interface SingletonHooks {
  /** This node holds the lease now, with this epoch (the KV revision at acquisition; later holders have higher ones). */
  readonly onAcquired?: (epoch: number) => void;
  /** It no longer does: stop at once (a new holder may already run). */
  readonly onLost?: (epoch: number, reason: SingletonLossReason) => void;
}

type Resolved = z.output<typeof singletonOptionsSchema> & { checkEveryMs: number; safetyMarginMs: number };

interface Held {
  readonly epoch: number;
  revision: number;
  deadline: number;
}

const encoder = new TextEncoder();

/**
 * A lease for work that must run on one node of a cluster at a time (projections into shared tables,
 * reactors with side effects), on a JetStream KV key with a fencing epoch, as the shard leases are:
 * taken with create, renewed with compare-and-swap, released with a delete on the revision seen.
 * The holder stops at a local deadline before the server can expire the key (a paused holder resumes
 * past it and stops before doing anything). A standby pings the holder every `standbyEveryMs`: "no responders"
 * on the same revision for a standby period means the holder's connection is gone (killed), and the
 * standby deletes the key (CAS on the revision it saw) and takes over without waiting for the TTL; a holder that is only slow or paused loses the
 * lease by TTL. The epoch is for the work itself to fence a stale holder (see SingletonFollower).
 */
export class SingletonLease {
  readonly node: string;
  readonly name: string;
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #o: Resolved;
  readonly #hooks: SingletonHooks;
  readonly #logger: Logger;
  readonly #ping: Subscription;
  readonly #timer: NodeJS.Timeout;
  #held: Held | undefined;
  #holder: string | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  #renewedAt = 0;
  #suspect: { readonly revision: number; readonly since: number } | undefined;
  /** Counts for metrics and @stats. */
  readonly stats = { acquired: 0, lost: 0, tookOverByPing: 0 };

  private constructor(nc: NatsConnection, kv: KV, o: Resolved, hooks: SingletonHooks, logger: Logger) {
    this.#nc = nc;
    this.#kv = kv;
    this.#o = o;
    this.node = o.node;
    this.name = o.name;
    this.#hooks = hooks;
    this.#logger = logger;
    this.#ping = nc.subscribe(singletonPingSubject(o.world, o.name, o.node), { callback: (_error, msg) => void msg.respond() });
    this.#timer = setInterval(() => {
      if (!this.#held || performance.now() - this.#renewedAt >= o.checkEveryMs) void this.tick();
    }, Math.min(o.checkEveryMs, o.standbyEveryMs));
    this.#timer.unref();
  }

  /** Opens the world's singleton bucket (creating it) and starts competing for the lease; resolves after the first attempt. */
  static async start(nc: NatsConnection, input: SingletonOptionsInput, hooks: SingletonHooks = {}, logger: Logger = silentLogger): Promise<SingletonLease> {
    const parsed = singletonOptionsSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`cluster.singleton.${issue.path.join('.')}: ${issue.message}`);
    }
    const p = parsed.data;
    checkToken('cluster.world', p.world);
    checkToken('cluster.node', p.node);
    checkToken('singleton name', p.name);
    const o = { ...p, checkEveryMs: p.checkEveryMs ?? Math.floor(p.ttlMs / 5), safetyMarginMs: p.safetyMarginMs ?? Math.floor(p.ttlMs / 10) };
    if (o.checkEveryMs * 2 > o.ttlMs - o.safetyMarginMs) throw new ConfigError(`cluster.singleton.checkEveryMs (${o.checkEveryMs}) must allow two renewals within the lease (ttlMs - safetyMarginMs = ${o.ttlMs - o.safetyMarginMs})`);
    const kv = await openBucket(nc, o);
    const lease = new SingletonLease(nc, kv, o, hooks, logger);
    await nc.flush(); // the ping responder is on the server before this node can be seen as holder
    await lease.tick();
    return lease;
  }

  /** The lease's epoch while this node holds it (and before its local deadline); undefined otherwise. */
  current(): number | undefined {
    const held = this.#held;
    if (!held) return undefined;
    if (performance.now() >= held.deadline) {
      this.#lose('expired');
      return undefined;
    }
    return held.epoch;
  }

  /** The holder as last seen (this node when it holds the lease). */
  get holder(): string | undefined {
    return this.current() !== undefined ? this.node : this.#holder;
  }

  /** One renew-or-acquire round (the timer runs it; tests may call it to not wait). */
  tick(): Promise<void> {
    this.#ticking ??= this.#round()
      .catch((error: unknown) => this.#logger.warn('singleton: lease round failed', { singleton: this.name, error: describe(error) }))
      .finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #round(): Promise<void> {
    if (this.#closed) return;
    if (this.#held) return this.#renew(this.#held);
    const entry = await this.#kv.get(this.name);
    if (live(entry)) {
      const holder = holderOf(entry);
      this.#holder = holder;
      if (holder !== this.node) {
        if (await this.#alive(holder)) {
          this.#suspect = undefined;
          return;
        }
        // "No responders" can also mean the holder's subscription has not reached this node's NATS server
        // yet (interest propagates between servers asynchronously): believe it only when it persists for a
        // standby period on the same revision (a live holder renews, changing the revision).
        const s = this.#suspect;
        if (!s || s.revision !== entry.revision) {
          this.#suspect = { revision: entry.revision, since: performance.now() };
          return;
        }
        if (performance.now() - s.since < this.#o.standbyEveryMs) return;
      }
      this.#suspect = undefined;
      // Its holder's connection is gone (or it is this node's entry from before a restart): remove exactly that entry.
      await this.#kv.delete(this.name, { previousSeq: entry.revision });
      if (holder !== this.node) this.stats.tookOverByPing += 1;
    }
    const sentAt = performance.now();
    try {
      const epoch = await this.#kv.create(this.name, encoder.encode(JSON.stringify({ node: this.node })));
      if (this.#closed) {
        await this.#kv.delete(this.name, { previousSeq: epoch }).catch(() => undefined);
        return;
      }
      this.#held = { epoch, revision: epoch, deadline: sentAt + this.#o.ttlMs - this.#o.safetyMarginMs };
      this.#renewedAt = sentAt;
      this.#holder = this.node;
      this.stats.acquired += 1;
      this.#logger.info('singleton: acquired', { singleton: this.name, node: this.node, epoch });
      this.#hooks.onAcquired?.(epoch);
    } catch (error) {
      if (!isWrongRevision(error)) throw error; // someone else created it first: they hold it
    }
  }

  async #renew(held: Held): Promise<void> {
    if (performance.now() >= held.deadline) return this.#lose('expired');
    const sentAt = (this.#renewedAt = performance.now());
    try {
      held.revision = await this.#kv.update(this.name, encoder.encode(JSON.stringify({ node: this.node })), held.revision);
      held.deadline = sentAt + this.#o.ttlMs - this.#o.safetyMarginMs;
    } catch (error) {
      if (isWrongRevision(error)) return this.#lose('taken');
      if (performance.now() >= held.deadline) return this.#lose('expired');
      throw error;
    }
  }

  /** Whether `holder` still has a NATS connection: it answers, or the request times out (paused, slow: the TTL decides). */
  async #alive(holder: string | undefined): Promise<boolean> {
    if (holder === undefined) return false;
    try {
      await this.#nc.request(singletonPingSubject(this.#o.world, this.name, holder), undefined, { timeout: 250 });
      return true;
    } catch (error) {
      return !(error instanceof natsErrors.RequestError && error.isNoResponders()) && !(error instanceof natsErrors.NoRespondersError);
    }
  }

  #lose(reason: SingletonLossReason): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    this.stats.lost += 1;
    this.#logger[reason === 'closed' ? 'info' : 'warn']('singleton: lost', { singleton: this.name, node: this.node, epoch: held.epoch, reason });
    this.#hooks.onLost?.(held.epoch, reason);
  }

  /** Stops competing; a held lease is released at once so another node takes over without waiting for the TTL. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#ticking;
    const held = this.#held;
    this.#lose('closed');
    this.#ping.unsubscribe();
    if (held) await this.#kv.delete(this.name, { previousSeq: held.revision }).catch((error: unknown) => this.#logger.warn('singleton: could not release', { error: describe(error) }));
  }
}

const live = (entry: KvEntry | null): entry is KvEntry => entry !== null && entry.operation === 'PUT';

function holderOf(entry: KvEntry): string | undefined {
  try {
    const node = (entry.json() as { node?: unknown }).node;
    return typeof node === 'string' ? node : undefined;
  } catch {
    return undefined;
  }
}

function isWrongRevision(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

async function openBucket(nc: NatsConnection, o: { world: string; ttlMs: number; replicas: 1 | 3 | 5; openTimeoutMs: number }): Promise<KV> {
  const js = jetstream(nc, { timeout: Math.max(500, Math.floor(o.ttlMs / 5)) });
  const deadline = performance.now() + o.openTimeoutMs;
  for (;;) {
    try {
      const kv = await new Kvm(js).create(singletonBucket(o.world), { replicas: o.replicas, history: 1, ttl: o.ttlMs, markerTTL: o.ttlMs });
      const status = await kv.status();
      if (status.ttl !== o.ttlMs) throw new ConfigError(`cluster.singleton_ttl_ms is ${o.ttlMs} but world ${o.world}'s singleton bucket was created with ${status.ttl}; every node of a world must use the same`);
      return kv;
    } catch (error) {
      if (error instanceof ConfigError || performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
