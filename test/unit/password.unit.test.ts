import { describe, expect, it } from 'vitest';
import { commandSchemas } from '../../src/domain/commands.ts';
import { hashPassword, verifyPassword } from '../../src/domain/password.ts';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const [one, two] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(one).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', one)).toBe(true);
    expect(await verifyPassword('correct horse', two)).toBe(true);
    expect(await verifyPassword('wrong horse', one)).toBe(false);
  });
  it('is false, not an exception, for malformed hashes', async () => {
    expect(await verifyPassword('x', 'plaintext')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1$8$1$AAAA$')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$3$8$1$AAAA$AAAA')).toBe(false); // N not a power of two
  });
  it('produces hashes that the CreatePlayer schema accepts', async () => {
    const hash = await hashPassword('pw');
    expect(commandSchemas.CreatePlayer.safeParse({ type: 'CreatePlayer', id: 'p', name: 'P', passwordHash: hash }).success).toBe(true);
  });
});
