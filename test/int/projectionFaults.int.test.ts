import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { isTransientFailure } from '../../src/projections/faults.ts';
import { openProjectionDb } from '../../src/projections/projectionDb.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { worldProjection } from '../../src/projections/worldProjection.ts';
import { createProjections, type Projections } from '../../src/projections/projections.ts';
import type { Reactor } from '../../src/projections/reactor.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: { close(): Promise<void> }[] = [];
const mounts: string[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  temp.cleanup();
});

function runtimeOn(path: string): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger });
  open.push(runtime);
  return runtime;
}

const world: Command[] = [
  { type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A long hall.' },
  { type: 'CreateRoom', id: 'yard', name: 'Yard', description: 'Open sky.' },
  { type: 'AddRoomExit', id: 'hall', direction: 'out', targetRoomId: 'yard' },
  { type: 'CreateGameObject', id: 'lamp', name: 'lamp', generic: 'light', containerId: 'hall' },
  { type: 'UpdateRoomDescription', id: 'yard', description: 'Rain.' },
  { type: 'UpdateRoomDescription', id: 'hall', description: 'Dust.' },
];

async function damagedWorld(damage: string): Promise<{ runtime: Runtime; position: number }> {
  const path = temp.file();
  const runtime = runtimeOn(path);
  for (const command of world) await runtime.execute(command);
  const position = (await runtime.history('lamp'))[0]?.position ?? 0;
  const raw = new Database(path);
  raw.prepare(`UPDATE events SET data = ? WHERE position = ?`).run(damage, position);
  raw.close();
  return { runtime, position };
}

function projectionsOver(runtime: Runtime, path: string, reactors: Reactor[] = []): Projections {
  const projections = createProjections(runtime.store, { path, reactors, retryDelayMs: 10, maxRetryDelayMs: 100, pollMs: 50 });
  open.push(projections);
  return projections;
}

const waitFor = (check: () => void, _label?: string) => vi.waitFor(check, { timeout: 15_000, interval: 10 });

describe('a damaged event', () => {
  it('that cannot be decoded stops the projector with CORRUPT_EVENT (health not ok) instead of an unhandled rejection; the runtime serves on', async () => {
    const { runtime, position } = await damagedWorld('{"name": "lamp", broken');
    const reactor: Reactor = { name: 'echo', eventTypes: ['GameObjectCreated'], handle: () => {} };
    const projections = projectionsOver(runtime, temp.file('p.db'), [reactor]);
    projections.start();
    await waitFor(() => expect(projections.status().state).toBe('failed'));
    expect(projections.status()).toMatchObject({ position: position - 1, failure: { code: 'CORRUPT_EVENT', position } });
    await waitFor(() => expect(projections.health().failedReactors.map((r) => r.name)).toEqual(['echo']));
    expect(projections.health().ok).toBe(false);
    await runtime.execute({ type: 'UpdateRoomDescription', id: 'yard', description: 'Snow.' });
    expect((await runtime.history('yard')).at(-1)?.data).toEqual({ description: 'Snow.' });
    expect(projections.status().position).toBe(position - 1); // never skipped
  });

  it('whose data no longer fits its schema stops the projector right before it, never skipped', async () => {
    const { runtime, position } = await damagedWorld('{}');
    const projections = projectionsOver(runtime, temp.file('p.db'));
    projections.start();
    await waitFor(() => expect(projections.status().state).toBe('failed'));
    expect(projections.status()).toMatchObject({ position: position - 1, failure: { code: 'CORRUPT_EVENT', position } });
    expect(projections.health().ok).toBe(false);
  });

  it('that decodes but cannot be applied is a CORRUPT_EVENT naming stream, version and position', async () => {
    const path = temp.file();
    const runtime = runtimeOn(path);
    for (const command of world) await runtime.execute(command);
    const position = (await runtime.history('lamp'))[0]?.position ?? 0;
    const db = openProjectionDb(temp.file('p.db'));
    const apply = worldProjection(db);
    // The row was edited to a shape the read model cannot take (here: a NOT NULL name made null).
    const projector = new Projector(runtime.store, db, (event) => apply(event.streamId === 'lamp' ? ({ ...event, data: { ...(event.data as object), name: null } } as unknown as typeof event) : event), { name: 'world' });
    open.push({ close: async () => { await projector.stop(); db.close(); } });
    projector.start();
    await waitFor(() => expect(projector.status().state).toBe('failed'));
    expect(projector.status().failure).toMatchObject({ code: 'CORRUPT_EVENT', streamId: 'lamp', version: 1, position, type: 'GameObjectCreated' });
  });
});

describe('transient failures', () => {
  it('classifies disk full, busy and I/O as transient and a damaged row as not', () => {
    expect(isTransientFailure(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe(true);
    expect(isTransientFailure(new SyntaxError('Unexpected token'))).toBe(false);
  });

  it('disk full on a small tmpfs: the projector retries with backoff and resumes when space comes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aethyr-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]); // the test needs root, like the disk-full run
    mounts.push(dir);
    const runtime = runtimeOn(temp.file());
    for (const command of world) await runtime.execute(command);
    const projections = projectionsOver(runtime, join(dir, 'p.db'));
    projections.start();
    const before = await runtime.store.headPosition();
    await waitFor(() => expect(projections.status().position).toBe(before));
    // Fill the disk.
    const filler = join(dir, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(16 * 1024, 1));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    for (let i = 0; i < 8; i++) await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'lamp', key: `k${i}`, value: 'x'.repeat(60_000) });
    await waitFor(() => expect(projections.status().state).toBe('retrying'));
    expect(projections.status().retrying?.error).toMatch(/full/);
    expect(projections.health().ok).toBe(true); // not a failing event: no reason to stop for good
    rmSync(filler);
    const head = await runtime.store.headPosition();
    await waitFor(() => expect(projections.status()).toMatchObject({ state: 'running', position: head }), 'after');
    expect(Object.keys(projections.readModel.object('lamp')?.attributes ?? {})).toHaveLength(8);
  }, 60_000);
});
