import { z } from 'zod';

/** Shared field schemas: every command and event builds on these, so a rule lives in one place. */
// 128 characters: the longest id every store can index (ImmuDB caps index key length).
export const idSchema = z.string().trim().min(1, 'must be a non-empty id').max(128);
export const nameSchema = z.string().trim().min(1, 'must not be empty').max(200);
export const keySchema = z.string().min(1, 'must not be empty').max(200);
export const textSchema = z.string().max(20_000);
export const jsonValueSchema = z.json();
export const attributesSchema = z.record(keySchema, jsonValueSchema);

/**
 * A password hash in our scrypt format (see hashPassword). Commands carry only hashes: a plaintext
 * password passed by mistake fails validation here instead of reaching the store.
 */
export const passwordHashSchema = z
  .string()
  .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be a scrypt hash from hashPassword()');

export type JsonValue = z.infer<typeof jsonValueSchema>;
export type Attributes = Record<string, JsonValue>;
