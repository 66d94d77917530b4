import { afterAll, describe, expect, it } from 'vitest';
import { Manager, playerId } from '../../src/game/Manager.ts';
import { createRuntime, isCommandRejectedError, isNotFoundError, silentLogger } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

describe('Manager', () => {
  it('creates players with hashed passwords, one per name, and logs them in', async () => {
    const runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger: silentLogger });
    const manager = new Manager(runtime).as('admin-tool');
    const id = await manager.createPlayer({ name: 'Hal', password: 'open sesame', admin: true });
    expect(id).toBe(playerId('hal'));
    const hal = await runtime.state(id);
    expect(hal).toMatchObject({ kind: 'player', name: 'Hal', admin: true });
    expect(hal?.kind === 'player' && hal.passwordHash).toMatch(/^scrypt\$/);
    expect(await manager.login('HAL', 'open sesame')).toMatchObject({ id });
    expect(await manager.login('Hal', 'wrong')).toBeUndefined();
    expect(await manager.login('Nobody', 'x')).toBeUndefined();
    const error = await manager.createPlayer({ name: 'hal', password: 'x' }).catch((e: unknown) => e);
    expect(isCommandRejectedError(error) && error.reason).toBe('ALREADY_EXISTS');
    await manager.setPassword(id, 'new words');
    expect(await manager.login('Hal', 'new words')).toBeTruthy();
    await manager.setAdmin(id, false);
    expect((await runtime.state(id))?.kind === 'player' && ((await runtime.state(id)) as { admin: boolean }).admin).toBe(false);
    expect((await runtime.history(id)).every((e) => e.metadata.actorId === 'admin-tool')).toBe(true);
    await runtime.close();
  });

  it('digs two-way exits atomically, and deletes a held item out of its holder', async () => {
    const runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger: silentLogger });
    const manager = new Manager(runtime);
    const hall = await manager.createRoom({ name: 'Hall', description: 'Long.' });
    const yard = await manager.createRoom({ id: 'yard', name: 'Yard', description: 'Open.' });
    await manager.digExit(hall, 'out', yard, 'in');
    expect((await manager.room(hall)).exits).toEqual({ out: yard });
    expect((await manager.room(yard)).exits).toEqual({ in: hall });
    // The way back exists already: neither exit is added.
    const before = await runtime.store.stats();
    await expect(manager.digExit(hall, 'up', yard, 'in')).rejects.toMatchObject({ code: 'REJECTED', reason: 'EXIT_EXISTS' });
    expect(await runtime.store.stats()).toEqual(before);

    const sword = await manager.createObject({ name: 'sword', generic: 'weapon', heldBy: hall, attributes: { damage: 3 } });
    expect(await runtime.state(sword)).toMatchObject({ containerId: hall, attributes: { damage: 3 } });
    await manager.equip(hall, sword, 'wall');
    await manager.deleteObject(sword);
    expect(await runtime.state(sword)).toMatchObject({ deleted: true });
    expect((await manager.room(hall)).inventory).toEqual([]);
    await expect(manager.deleteObject(sword)).rejects.toSatisfy(isNotFoundError);
    await expect(manager.room(sword)).rejects.toSatisfy(isNotFoundError);
    await manager.describeRoom(hall, 'Longer.');
    await manager.setAttribute(yard, 'weather', 'rain');
    await manager.moveTo(yard, null);
    expect(await runtime.state(yard)).toMatchObject({ description: 'Open.', attributes: { weather: 'rain' } });
    await runtime.close();
  });
});
