import { ValidationError } from '../errors.ts';
import { copyJson, isWellFormed, type Limits } from './limits.ts';

/**
 * Argument checks for every public runtime entry, run before anything reaches an actor's mailbox or
 * the store: whatever the caller passes (objects without prototypes, symbols, bigints, accessors that
 * throw, Proxies), the answer is a value we can use or a ValidationError, never a TypeError from a
 * driver, a hung mailbox or a silently altered id.
 */

/** The longest id: the longest every store can index (ImmuDB caps index key length). */
export const MAX_ID_LENGTH = 128;
/** At most this many commands in one transaction. */
export const MAX_TRANSACTION_COMMANDS = 1000;

const invalid = (path: string, message: string): ValidationError => new ValidationError(`${path} ${message}`, [{ path, message }]);

/**
 * An aggregate id: a string of 1 to 128 UTF-16 units, well-formed Unicode (a lone surrogate would be
 * stored as U+FFFD under another id), without surrounding whitespace (commands trim theirs, so such
 * an id would name a different aggregate than the one read).
 */
export function checkId(id: unknown, path = 'id'): string {
  if (typeof id !== 'string') throw invalid(path, `must be a string, got ${describeType(id)}`);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw invalid(path, `must be 1 to ${MAX_ID_LENGTH} characters long, got ${id.length}`);
  if (!isWellFormed(id)) throw invalid(path, 'must be well-formed Unicode (it contains a lone surrogate)');
  if (id.trim() !== id) throw invalid(path, 'must not start or end with whitespace');
  return id;
}

/** A command: plain JSON data within the limits (depth, size). Returns a copy the caller cannot change later. */
export function checkCommand(input: unknown, limits: Limits, path = 'command'): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid(path, `must be an object, got ${describeType(input)}`);
  const copy = copyJson(input, { maxDepth: limits.maxJsonDepth, maxBytes: limits.maxCommandBytes }, path).value as Record<string, unknown>;
  if (typeof copy.id === 'string') checkId(copy.id, `${path}.id`);
  return copy;
}

/** A transaction's commands: an array of 1 to MAX_TRANSACTION_COMMANDS commands, together within maxCommandBytes. */
export function checkCommands(input: unknown, limits: Limits): unknown[] {
  if (!Array.isArray(input)) throw invalid('commands', `must be an array, got ${describeType(input)}`);
  if (input.length === 0 || input.length > MAX_TRANSACTION_COMMANDS) throw invalid('commands', `must hold 1 to ${MAX_TRANSACTION_COMMANDS} commands, got ${input.length}`);
  const copy = copyJson(input, { maxDepth: limits.maxJsonDepth + 1, maxBytes: limits.maxCommandBytes }, 'commands').value as unknown[];
  return copy.map((command, i) => checkCommand(command, limits, `commands[${i}]`));
}

/** Command metadata: undefined or a small plain object (its fields are checked by the runtime's schema). */
export function checkMetadata(input: unknown): unknown {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('metadata', `must be an object, got ${describeType(input)}`);
  return copyJson(input, { maxDepth: 2, maxBytes: 4096 }, 'metadata').value;
}

/**
 * A point in history: `{ version }` for stateAt (or `{ position }` for a world cut: pass 'position'),
 * a non-negative integer, or `{ time }`, a valid Date or date string.
 */
export function checkPointInTime<K extends 'version' | 'position' = 'version'>(at: unknown, counter: K = 'version' as K): { readonly [P in K]: number } | { readonly time: Date } {
  try {
    if (typeof at !== 'object' || at === null) throw invalid('at', `must be { ${counter} } or { time }, got ${describeType(at)}`);
    const hasCounter = Object.hasOwn(at, counter);
    if (hasCounter === Object.hasOwn(at, 'time')) throw invalid('at', `must have exactly one of ${counter} and time`);
    if (hasCounter) {
      const value = readOwn(at, counter);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(`at.${counter}`, `must be a non-negative integer, got ${describeType(value)}`);
      return { [counter]: value } as { readonly [P in K]: number };
    }
    const raw = readOwn(at, 'time');
    const time = raw instanceof Date ? new Date(raw.getTime()) : typeof raw === 'string' && raw.length <= 64 ? new Date(raw) : undefined;
    if (!time || Number.isNaN(time.getTime())) throw invalid('at.time', `must be a valid Date or date string, got ${describeType(raw)}`);
    return { time };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw invalid('at', `could not be read: ${error instanceof Error ? error.message : String(error)}`); // a Proxy trap threw
  }
}

/** The metrics label for a command's type: read without running getters, 'unknown' for anything odd. */
export function commandTypeLabel(input: unknown, isKnown: (type: string) => boolean): string {
  try {
    if (typeof input !== 'object' || input === null) return 'unknown';
    const descriptor = Object.getOwnPropertyDescriptor(input, 'type');
    const type: unknown = descriptor && 'value' in descriptor ? descriptor.value : undefined;
    return typeof type === 'string' && isKnown(type) ? type : 'unknown';
  } catch {
    return 'unknown'; // a Proxy trap threw
  }
}

function readOwn(target: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor || !('value' in descriptor)) throw invalid(`at.${key}`, 'must be a data property');
  return descriptor.value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return Object.getPrototypeOf(value) === null ? 'an object without prototype' : 'an object';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}
