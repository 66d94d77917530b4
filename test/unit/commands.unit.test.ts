import { describe, expect, it } from 'vitest';
import { commandTypes, parseCommand } from '../../src/world/commands.ts';
import { isValidationError, ValidationError } from '../../src/errors.ts';

const invalid = (input: unknown): ValidationError => {
  try {
    parseCommand(input);
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
};

describe('parseCommand', () => {
  it('knows exactly the sixteen commands', () => {
    expect(commandTypes).toHaveLength(16);
  });
  it('names an unknown type and lists the known ones', () => {
    const error = invalid({ type: 'Teleport', id: 'x' });
    expect(error.message).toContain('unknown command type: Teleport');
    expect(error.issues[0]?.message).toContain('CreateRoom');
    expect(invalid(null).message).toContain('unknown command type');
    expect(invalid('garbage').message).toContain('unknown command type');
  });
  it('names each bad field', () => {
    const error = invalid({ type: 'CreateRoom', id: '', name: 7 });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['description', 'id', 'name']);
  });
  it('rejects unknown fields, so typos do not silently vanish', () => {
    expect(invalid({ type: 'DeleteGameObject', id: 'x', force: true }).message).toMatch(/force/);
  });
  it('refuses a plaintext password where a hash belongs', () => {
    const error = invalid({ type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: 'hunter2' });
    expect(error.issues[0]).toMatchObject({ path: 'passwordHash' });
    expect(error.message).not.toContain('hunter2');
  });
  it('rejects a negative inventory position and non-JSON attribute values', () => {
    invalid({ type: 'AddItemToInventory', id: 'bob', itemId: 'x', position: -1 });
    invalid({ type: 'UpdateGameObjectAttribute', id: 'x', key: 'k', value: () => 1 });
    invalid({ type: 'UpdateGameObjectAttribute', id: 'x', key: 'k' });
  });
  it('trims ids and accepts a valid command', () => {
    expect(parseCommand({ type: 'CreateRoom', id: ' hall ', name: 'Hall', description: '' })).toEqual({
      type: 'CreateRoom',
      id: 'hall',
      name: 'Hall',
      description: '',
    });
  });
});
