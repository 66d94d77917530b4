import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { aggregateMachines, initialState, replay, toPersisted, type FoldState } from '../../machines/index.ts';
import { currentSchemaVersions, type DomainEvent } from '../../src/world/events.ts';
import type { AggregateKind } from '../../src/world/state.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import type { NewEvent, Snapshot } from '../../src/eventStore/types.ts';
import { prng } from './harness.ts';

export interface WorldSpec {
  readonly events: number;
  readonly aggregates: number;
  readonly seed?: number;
  /** Snapshot each aggregate every this many events, as the runtime would (default 100). */
  readonly snapshotEvery?: number;
}

const cacheDir = resolve(import.meta.dirname, '../../.cache/bench');
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw==';

/** The kind of aggregate i, in a realistic world: a tenth rooms, a tenth players, the rest objects. */
export const kindOf = (i: number): AggregateKind => (i % 10 === 0 ? 'room' : i % 10 === 1 ? 'player' : 'game_object');
export const idOf = (i: number) => `${kindOf(i) === 'room' ? 'room' : kindOf(i) === 'player' ? 'player' : 'obj'}-${i}`;

/**
 * Generates (once, then cached in .cache/bench) a SQLite event store of a world with a realistic
 * mix of all 16 event types, interleaved in global order, with snapshots every `snapshotEvery`
 * events per aggregate. Deterministic: the same spec gives the same events.
 */
export async function worldStore(spec: WorldSpec, log: (line: string) => void = () => {}): Promise<string> {
  const seed = spec.seed ?? 42;
  const every = spec.snapshotEvery ?? 100;
  const path = join(cacheDir, `world-${spec.events}-${spec.aggregates}-${seed}-${every}-${aggregateMachines.game_object.version}.db`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  log(`generating ${spec.events} events over ${spec.aggregates} aggregates into ${path} (once)`);
  const random = prng(seed);
  const store = new SqliteEventStore({ path: tmp, durability: 'off' });
  const perAggregate = spec.events / spec.aggregates;
  const targets = Array.from({ length: spec.aggregates }, (_, i) => (i === spec.aggregates - 1 ? 0 : Math.round(perAggregate * (0.5 + random.next()))));
  // The last aggregate takes up the rounding, so the total is exact.
  targets[spec.aggregates - 1] = Math.max(2, spec.events - targets.reduce((a, b) => a + b, 0));
  const worlds = targets.map((target, i) => new AggregateGenerator(i, target, spec.aggregates, random));
  const snapshots = new Map<number, FoldState>();
  let written = 0;
  for (let round = 0; worlds.some((w) => !w.done); round++) {
    const appends: Promise<unknown>[] = [];
    const pendingSnapshots: Snapshot[] = [];
    for (const w of worlds) {
      if (w.done) continue;
      const batch = w.next(1 + random.int(20));
      const before = w.version - batch.length;
      let snapshot = snapshots.get(w.i) ?? initialState(w.kind, w.id);
      batch.forEach((event, k) => {
        snapshot = replay(w.kind, snapshot, [event]);
        const version = before + k + 1;
        if (version % every === 0) {
          pendingSnapshots.push({ streamId: w.id, version, kind: w.kind, machineVersion: aggregateMachines[w.kind].version, state: toPersisted(snapshot), createdAt: '2026-01-01T00:00:00.000Z' });
        }
      });
      snapshots.set(w.i, snapshot);
      appends.push(store.appendToStream(w.id, batch.map((e) => envelope(e, random)), { expectedVersion: before }));
      written += batch.length;
    }
    await Promise.all(appends);
    await store.saveSnapshots(pendingSnapshots);
    if (round % 10 === 0) log(`  ${written} events`);
  }
  await store.close();
  renameSync(tmp, path);
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  return path;
}

let clock = Date.parse('2026-01-01T00:00:00.000Z');
function envelope(event: DomainEvent, random: ReturnType<typeof prng>): NewEvent {
  clock += 7;
  return {
    ...event,
    eventId: `${random.hex(8)}-${random.hex(4)}-4${random.hex(3)}-a${random.hex(3)}-${random.hex(12)}`,
    schemaVersion: currentSchemaVersions[event.type],
    occurredAt: new Date(clock).toISOString(),
    metadata: { correlationId: random.hex(16), causationId: null, actorId: `player-${random.int(1000)}` },
  };
}

/** Generates one aggregate's events, tracking just enough state to keep them valid. */
class AggregateGenerator {
  readonly i: number;
  readonly id: string;
  readonly kind: AggregateKind;
  version = 0;
  readonly #target: number;
  readonly #count: number;
  readonly #random: ReturnType<typeof prng>;
  readonly #inventory: string[] = [];
  readonly #equipment = new Map<string, string>();
  readonly #exits = new Map<string, string>();

  constructor(i: number, target: number, count: number, random: ReturnType<typeof prng>) {
    this.i = i;
    this.id = idOf(i);
    this.kind = kindOf(i);
    this.#target = Math.max(target, this.kind === 'game_object' ? 1 : 2);
    this.#count = count;
    this.#random = random;
  }

  get done(): boolean {
    return this.version >= this.#target;
  }

  next(n: number): DomainEvent[] {
    const events: DomainEvent[] = [];
    while (events.length < n && this.version < this.#target) {
      events.push(this.#event(this.#target - this.version));
      this.version++;
    }
    return events;
  }

  #other = () => idOf(this.#random.int(this.#count));

  #event(remaining: number): DomainEvent {
    const r = this.#random;
    if (this.version === 0) {
      const generic = this.kind === 'room' ? 'room' : this.kind === 'player' ? 'player' : r.pick(['weapon', 'armour', 'coin', 'food', 'chest']);
      return { type: 'GameObjectCreated', data: { name: `${generic} ${this.i}`, generic, containerId: this.kind === 'game_object' ? idOf(r.int(this.#count / 10) * 10) : null, attributes: {} } };
    }
    if (this.version === 1 && this.kind === 'player') return { type: 'PlayerCreated', data: { passwordHash: HASH, admin: false } };
    if (this.version === 1 && this.kind === 'room') return { type: 'RoomCreated', data: { description: `Room ${this.i}.`, exits: {} } };
    if (remaining === 1 && this.kind === 'game_object' && r.next() < 0.02) return { type: 'GameObjectDeleted', data: {} };
    const roll = r.next();
    if (this.kind === 'room') {
      const direction = r.pick(['north', 'south', 'east', 'west', 'up', 'down']);
      if (roll < 0.25) return { type: 'RoomDescriptionUpdated', data: { description: `Room ${this.i}, ${r.hex(6)}.` } };
      if (roll < 0.5) {
        if (this.#exits.has(direction)) {
          this.#exits.delete(direction);
          return { type: 'RoomExitRemoved', data: { direction } };
        }
        const target = idOf(r.int(this.#count / 10) * 10);
        this.#exits.set(direction, target);
        return { type: 'RoomExitAdded', data: { direction, targetRoomId: target } };
      }
    }
    if (this.kind === 'player') {
      if (roll < 0.03) return { type: 'PlayerPasswordUpdated', data: { passwordHash: HASH } };
      if (roll < 0.06) return { type: 'PlayerAdminStatusUpdated', data: { admin: r.next() < 0.5 } };
      if (roll < 0.2) {
        const slot = r.pick(['head', 'body', 'hand', 'feet']);
        const worn = this.#equipment.get(slot);
        if (worn) {
          this.#equipment.delete(slot);
          return { type: 'ItemUnequipped', data: { itemId: worn, slot } };
        }
        const free = this.#inventory.filter((item) => ![...this.#equipment.values()].includes(item));
        if (free.length > 0) {
          const itemId = r.pick(free);
          this.#equipment.set(slot, itemId);
          return { type: 'ItemEquipped', data: { itemId, slot } };
        }
      }
    }
    if (roll < 0.7) {
      if (r.next() < 0.3) {
        const attributes = { weight: r.int(50), value: r.int(1000), [`flag_${r.int(5)}`]: r.next() < 0.5 };
        return { type: 'GameObjectAttributesUpdated', data: { attributes } };
      }
      return { type: 'GameObjectAttributeUpdated', data: { key: r.pick(['hp', 'mana', 'gold', 'xp', 'mood']), value: r.int(10_000) } };
    }
    if (roll < 0.8 && this.kind !== 'room') return { type: 'GameObjectContainerUpdated', data: { containerId: idOf(r.int(this.#count / 10) * 10) } };
    const removable = this.#inventory.filter((item) => ![...this.#equipment.values()].includes(item));
    if (removable.length > 0 && r.next() < 0.4) {
      const itemId = r.pick(removable);
      this.#inventory.splice(this.#inventory.indexOf(itemId), 1);
      return { type: 'ItemRemovedFromInventory', data: { itemId } };
    }
    let itemId = this.#other();
    while (this.#inventory.includes(itemId) || itemId === this.id) itemId = `${this.#other()}-${r.hex(4)}`;
    this.#inventory.push(itemId);
    return { type: 'ItemAddedToInventory', data: { itemId } };
  }
}
