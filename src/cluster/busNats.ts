import { performance } from 'node:perf_hooks';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { describe } from '../errors.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { gameMessageSchema, LocalPresence, type Deliver, type GameBus, type GameMessage, type OnlinePlayer } from './bus.ts';
import { checkToken } from './subjects.ts';

/** Messages between players: every node hears every message and delivers to its own players. */
export const busMessageSubject = (world: string): string => `aethyr.${world}.game.msg`;
/** Presence: who entered, moved, left, and each node's full list now and then. */
export const busPresenceSubject = (world: string): string => `aethyr.${world}.game.presence`;

const node = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const player = z.strictObject({ id: z.string().min(1).max(200), name: z.string().min(1).max(200), roomId: z.string().min(1).max(200).nullable() });
const presenceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), node }),
  z.strictObject({ type: z.literal('snapshot'), node, players: z.array(player).max(100_000) }),
  z.strictObject({ type: z.literal('enter'), node, player }),
  z.strictObject({ type: z.literal('move'), node, id: player.shape.id, roomId: player.shape.roomId }),
  z.strictObject({ type: z.literal('leave'), node, id: player.shape.id }),
  z.strictObject({ type: z.literal('bye'), node }),
]);
type Presence = z.infer<typeof presenceSchema>;
const envelopeSchema = z.strictObject({ from: node, message: gameMessageSchema });

export interface NatsBusOptions {
  readonly world: string;
  readonly node: string;
  /** Each node sends its full player list this often (default 1,000 ms)... */
  readonly heartbeatMs?: number;
  /** ...and a node not heard from for this long is gone, its players with it (default 3 heartbeats). */
  readonly expireAfterMs?: number;
  readonly logger?: Logger;
}

interface RemoteNode {
  readonly players: Map<string, OnlinePlayer>;
  seenAt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The game bus over NATS core subjects (no JetStream: a message to players who are not there is not
 * worth keeping). Every node keeps a copy of the world's presence from the others' deltas and periodic
 * snapshots; a node that stops sending (killed, cut off) drops out after `expireAfterMs`, a node that
 * closes says goodbye at once. Messages are fanned out to every node, which delivers to its own players;
 * this node's players get them at once, without the round trip. Garbage on the subjects is logged and
 * ignored.
 */
export class NatsBus implements GameBus {
  readonly node: string;
  readonly #nc: NatsConnection;
  readonly #world: string;
  readonly #local: LocalPresence;
  readonly #remote = new Map<string, RemoteNode>();
  readonly #expireAfterMs: number;
  readonly #logger: Logger;
  readonly #subscriptions: Subscription[] = [];
  readonly #timer: NodeJS.Timeout;
  #deliver: Deliver = () => undefined;
  #closed = false;

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc;
    this.#world = checkToken('cluster.world', options.world);
    this.node = checkToken('cluster.node', options.node);
    this.#local = new LocalPresence(this.node);
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.#expireAfterMs = options.expireAfterMs ?? heartbeatMs * 3;
    this.#logger = options.logger ?? silentLogger;
    this.#subscriptions.push(
      nc.subscribe(busMessageSubject(this.#world), { callback: (error, msg) => (error ? this.#warn(error) : this.#onMessage(msg.data)) }),
      nc.subscribe(busPresenceSubject(this.#world), { callback: (error, msg) => (error ? this.#warn(error) : this.#onPresence(msg.data)) }),
    );
    this.#timer = setInterval(() => this.#snapshot(), heartbeatMs);
    this.#timer.unref();
  }

  /** Joins the world's bus: subscribes, then asks the other nodes for their players (they answer with snapshots). */
  static async open(nc: NatsConnection, options: NatsBusOptions): Promise<NatsBus> {
    const bus = new NatsBus(nc, options);
    await nc.flush(); // the subscriptions are on the server before anyone answers the hello
    bus.#publishPresence({ type: 'hello', node: bus.node });
    bus.#snapshot();
    return bus;
  }

  attach(deliver: Deliver): void {
    this.#deliver = deliver;
  }

  online(): readonly OnlinePlayer[] {
    const now = performance.now();
    const seen = new Set<string>();
    const all: OnlinePlayer[] = [];
    for (const p of this.#local.players) {
      seen.add(p.id);
      all.push(p);
    }
    for (const [name, remote] of this.#remote) {
      if (now - remote.seenAt > this.#expireAfterMs) {
        this.#remote.delete(name);
        continue;
      }
      for (const p of remote.players.values()) {
        if (!seen.has(p.id)) {
          seen.add(p.id);
          all.push(p);
        }
      }
    }
    return all;
  }

  nodes(): readonly { readonly node: string; readonly players: number }[] {
    this.online(); // drops expired nodes
    return [{ node: this.node, players: this.#local.players.length }, ...[...this.#remote].map(([node, r]) => ({ node, players: r.players.size }))];
  }

  entered(p: Omit<OnlinePlayer, 'node'>): void {
    this.#local.entered(p);
    this.#publishPresence({ type: 'enter', node: this.node, player: { id: p.id, name: p.name, roomId: p.roomId } });
  }

  moved(playerId: string, roomId: string | null): void {
    if (this.#local.moved(playerId, roomId)) this.#publishPresence({ type: 'move', node: this.node, id: playerId, roomId });
  }

  left(playerId: string): void {
    if (this.#local.left(playerId)) this.#publishPresence({ type: 'leave', node: this.node, id: playerId });
  }

  send(message: GameMessage): void {
    if (message.to !== 'takeover') this.#deliver(message);
    this.#publish(busMessageSubject(this.#world), { from: this.node, message });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#publishPresence({ type: 'bye', node: this.node });
    for (const s of this.#subscriptions) s.unsubscribe();
    if (!this.#nc.isClosed()) await this.#nc.flush().catch((error: unknown) => this.#warn(error));
  }

  #snapshot(): void {
    this.#publishPresence({ type: 'snapshot', node: this.node, players: this.#local.players.map((p) => ({ id: p.id, name: p.name, roomId: p.roomId })) });
  }

  #publishPresence(presence: Presence): void {
    this.#publish(busPresenceSubject(this.#world), presence);
  }

  #publish(subject: string, body: unknown): void {
    if (this.#closed && (body as Presence).type !== 'bye') return;
    try {
      this.#nc.publish(subject, encoder.encode(JSON.stringify(body)));
    } catch (error) {
      // A closed or draining connection: players on other nodes miss this one; the local ones already have it.
      this.#warn(error);
    }
  }

  #onMessage(data: Uint8Array): void {
    const parsed = envelopeSchema.safeParse(parseJson(data));
    if (!parsed.success) return this.#logger.warn('game bus: ignored a malformed message', { error: parsed.error.issues[0]?.message });
    if (parsed.data.from === this.node) return; // delivered locally when sent
    const { message } = parsed.data;
    if (message.to === 'takeover' && message.node === this.node) return;
    this.#deliver(message);
  }

  #onPresence(data: Uint8Array): void {
    const parsed = presenceSchema.safeParse(parseJson(data));
    if (!parsed.success) return this.#logger.warn('game bus: ignored a malformed presence message', { error: parsed.error.issues[0]?.message });
    const p = parsed.data;
    if (p.node === this.node) return;
    if (p.type === 'bye') {
      this.#remote.delete(p.node);
      return;
    }
    if (p.type === 'hello') return this.#snapshot();
    const remote = this.#remote.get(p.node) ?? { players: new Map<string, OnlinePlayer>(), seenAt: 0 };
    this.#remote.set(p.node, remote);
    remote.seenAt = performance.now();
    const entry = (q: z.infer<typeof player>): OnlinePlayer => ({ ...q, node: p.node });
    switch (p.type) {
      case 'snapshot':
        remote.players.clear();
        for (const q of p.players) remote.players.set(q.id, entry(q));
        return;
      case 'enter':
        remote.players.set(p.player.id, entry(p.player));
        return;
      case 'move': {
        const before = remote.players.get(p.id);
        if (before) remote.players.set(p.id, { ...before, roomId: p.roomId });
        return;
      }
      case 'leave':
        remote.players.delete(p.id);
        return;
      default: {
        const _exhaustive: never = p;
        throw new Error(`unknown presence ${String(_exhaustive)}`);
      }
    }
  }

  #warn(error: unknown): void {
    this.#logger.warn('game bus: NATS error', { error: describe(error) });
  }
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}
