import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** Parameters new hashes are made with: OWASP's scrypt recommendation (N=2^17, r=8, p=1). */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/**
 * The weakest hash accepted in a command or checked at login. 2^14 was the default before 2^17, so
 * existing players keep logging in (see needsRehash to upgrade them); anything weaker is refused.
 * The upper bound on memory stops a crafted hash from making one login allocate gigabytes.
 */
export const SCRYPT_LIMITS = {
  minN: 2 ** 14,
  minR: 8,
  minP: 1,
  maxP: 16,
  minSaltBytes: 16,
  minKeyBytes: 32,
  maxKeyBytes: 128,
  /** scrypt needs 128 * N * r bytes; hashes needing more than this are refused. */
  maxMemoryBytes: 256 * 1024 * 1024,
} as const;

const KEY_LENGTH = 32;
/** Longer passwords are refused: scrypt's cost must not be chosen by the caller. */
export const MAX_PASSWORD_LENGTH = 1024;

/** A password argument from game code: a string of at most MAX_PASSWORD_LENGTH characters, else a ValidationError. */
function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new ValidationError(`password must be a string, got ${password === null ? 'null' : typeof password}`, [{ path: 'password', message: 'must be a string' }]);
  if (password.length > MAX_PASSWORD_LENGTH) throw new ValidationError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`, [{ path: 'password', message: `at most ${MAX_PASSWORD_LENGTH} characters` }]);
  return password;
}
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const memoryOf = (N: number, r: number) => 128 * N * r;

const derive = (password: string, salt: Buffer, options: { N: number; r: number; p: number }, length: number) =>
  new Promise<Buffer>((resolve, reject) =>
    // maxmem: Node refuses anything above 32 MiB by default, which N=2^17 (128 MiB) exceeds.
    scrypt(password.normalize('NFKC'), salt, length, { ...options, maxmem: memoryOf(options.N, options.r) + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );

/** Why a hash string is not acceptable, or undefined if it is (format and minimum parameters). */
export function weakHashReason(hash: string): string | undefined {
  const parsed = parseHash(hash);
  return typeof parsed === 'string' ? parsed : undefined;
}

function parseHash(hash: string): ParsedHash | string {
  if (typeof hash !== 'string' || hash.length > 1024) return 'must be a scrypt hash string';
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'must be scrypt$N$r$p$salt$hash';
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,10}$/.test(s as string) ? Number(s) : Number.NaN)) as [number, number, number];
  const [saltText, keyText] = [parts[4] as string, parts[5] as string];
  if (!BASE64.test(saltText) || !BASE64.test(keyText)) return 'salt and hash must be base64';
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  const L = SCRYPT_LIMITS;
  if (!Number.isInteger(N) || N < L.minN || (N & (N - 1)) !== 0) return `N must be a power of two of at least ${L.minN}`;
  if (!Number.isInteger(r) || r < L.minR) return `r must be at least ${L.minR}`;
  if (!Number.isInteger(p) || p < L.minP || p > L.maxP) return `p must be between ${L.minP} and ${L.maxP}`;
  if (memoryOf(N, r) > L.maxMemoryBytes) return `N and r need more than ${L.maxMemoryBytes} bytes`;
  if (salt.length < L.minSaltBytes) return `salt must be at least ${L.minSaltBytes} bytes`;
  if (key.length < L.minKeyBytes || key.length > L.maxKeyBytes) return `hash must be ${L.minKeyBytes}-${L.maxKeyBytes} bytes`;
  return { N, r, p, salt, key };
}

/** A password hash with at least the minimum parameters: what commands accept. */
export const strongPasswordHashSchema = z.string().superRefine((hash, context) => {
  const reason = weakHashReason(hash);
  if (reason) context.addIssue({ code: 'custom', message: `must be a scrypt hash from hashPassword(): ${reason}` });
});

/** Hashes a password with scrypt and a random 16-byte salt: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  const { N, r, p } = DEFAULT_SCRYPT;
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r, p }, KEY_LENGTH);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password against a hash from hashPassword, in constant time. False for malformed hashes
 * and for hashes below the minimum parameters (never derived: a weak hash cannot be brute-forced here).
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH || typeof hash !== 'string') return false;
  const parsed = parseHash(hash);
  if (typeof parsed === 'string') return false;
  try {
    const key = await derive(password, parsed.salt, parsed, parsed.key.length);
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

/** True for an acceptable hash made with weaker parameters than today's default: rehash at next login. */
export function needsRehash(hash: string): boolean {
  if (typeof hash !== 'string') return true;
  const parsed = parseHash(hash);
  if (typeof parsed === 'string') return true;
  return parsed.N < DEFAULT_SCRYPT.N || parsed.r < DEFAULT_SCRYPT.r;
}
