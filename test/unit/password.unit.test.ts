import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandSchemas } from '../../src/world/commands.ts';
import { hashPassword, needsRehash, verifyPassword, weakHashReason } from '../../src/domain/password.ts';
import { parseCommand } from '../../src/world/commands.ts';
import { isValidationError } from '../../src/errors.ts';

/** A real hash with chosen parameters, as an older version (or an attacker) would have written it. */
function hashWith(password: string, N: number, r: number, p: number, saltBytes = 16): string {
  const salt = Buffer.alloc(saltBytes, 7);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const createPlayer = (passwordHash: string) => ({ type: 'CreatePlayer', id: 'p', name: 'P', passwordHash });

describe('passwords', () => {
  it('hashes with scrypt at N=2^17 (OWASP) and a random salt, and verifies only the right password', async () => {
    const [one, two] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(one).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', one)).toBe(true);
    expect(await verifyPassword('correct horse', two)).toBe(true);
    expect(await verifyPassword('wrong horse', one)).toBe(false);
    expect(needsRehash(one)).toBe(false);
  });
  it('is false, not an exception, for malformed hashes', async () => {
    expect(await verifyPassword('x', 'plaintext')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1$8$1$AAAA$')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$3$8$1$AAAA$AAAA')).toBe(false); // N not a power of two
  });
  it('keeps verifying existing hashes made at the former default (N=2^14), and asks for a rehash', async () => {
    const old = hashWith('pw', 2 ** 14, 8, 1);
    expect(weakHashReason(old)).toBeUndefined();
    expect(await verifyPassword('pw', old)).toBe(true);
    expect(await verifyPassword('px', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });
  it('refuses hashes below the minimum parameters, in commands and at login', async () => {
    const weak = [
      hashWith('pw', 2, 8, 1), // scrypt$2$...: trivially brute-forced
      hashWith('pw', 2 ** 13, 8, 1),
      hashWith('pw', 2 ** 14, 1, 1),
      hashWith('pw', 2 ** 14, 8, 1, 4), // 4-byte salt
    ];
    for (const hash of weak) {
      expect(weakHashReason(hash)).toBeTypeOf('string');
      expect(await verifyPassword('pw', hash)).toBe(false);
      let error: unknown;
      try {
        parseCommand(createPlayer(hash));
      } catch (e) {
        error = e;
      }
      expect(isValidationError(error)).toBe(true);
      expect(commandSchemas.UpdatePlayerPassword.safeParse({ type: 'UpdatePlayerPassword', id: 'p', passwordHash: hash }).success).toBe(false);
    }
  });
  it('refuses hashes whose parameters would make a login allocate more than the memory cap', async () => {
    const huge = `scrypt$${2 ** 30}$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
    expect(weakHashReason(huge)).toMatch(/bytes/);
    expect(await verifyPassword('pw', huge)).toBe(false);
  });
  it('answers non-string or oversized passwords with ValidationError (hash) or false (verify), never a TypeError', async () => {
    for (const bad of [undefined, null, 1n, Object.create(null), Symbol('p'), 'x'.repeat(1025)]) {
      let error: unknown;
      try {
        await hashPassword(bad as string);
      } catch (e) {
        error = e;
      }
      expect(isValidationError(error)).toBe(true);
      expect(await verifyPassword(bad as string, hashWith('pw', 2 ** 14, 8, 1))).toBe(false);
    }
    expect(await verifyPassword('pw', Object.create(null) as string)).toBe(false);
  });
  it('produces hashes that the CreatePlayer schema accepts', async () => {
    const hash = await hashPassword('pw');
    expect(commandSchemas.CreatePlayer.safeParse(createPlayer(hash)).success).toBe(true);
  });
});
