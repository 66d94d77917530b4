import { ConfigError, ValidationError } from '../errors.ts';

/**
 * What the runtime accepts, checked before anything is stored, so that everything it accepted can be
 * loaded again (a value nested thousands deep overflows the stack on every later load; a value of
 * hundreds of megabytes makes every load read it). Configurable; the ceilings are what was verified.
 */
export interface Limits {
  /** Maximum nesting of objects and arrays in a command and in each event's data (default 64). */
  readonly maxJsonDepth: number;
  /** Maximum size of one event (type and data as UTF-8 JSON), in bytes (default 1 MiB). */
  readonly maxEventBytes: number;
  /** Maximum size of a command's input, and of all the events one command (or transaction) produces (default 4 MiB). */
  readonly maxCommandBytes: number;
}

export const DEFAULT_LIMITS: Limits = { maxJsonDepth: 64, maxEventBytes: 1024 * 1024, maxCommandBytes: 4 * 1024 * 1024 };

/** The highest values a configuration may set: deeper or larger was not verified to load again. */
export const LIMIT_CEILINGS: Limits = { maxJsonDepth: 256, maxEventBytes: 64 * 1024 * 1024, maxCommandBytes: 256 * 1024 * 1024 };

/** Fills defaults and checks configured limits; ConfigError names the bad option. */
export function resolveLimits(input: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...input };
  for (const name of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < 1 || value > LIMIT_CEILINGS[name]) {
      throw new ConfigError(`limits.${name} must be an integer from 1 to ${LIMIT_CEILINGS[name]}, got ${String(value)}`);
    }
  }
  if (limits.maxCommandBytes < limits.maxEventBytes) {
    throw new ConfigError(`limits.maxCommandBytes (${limits.maxCommandBytes}) must be at least limits.maxEventBytes (${limits.maxEventBytes})`);
  }
  return limits;
}

/** String.prototype.isWellFormed (ES2024; Node 20 has it, our TypeScript lib is ES2023). */
export const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Copies an untrusted value into plain JSON data, checking it on the way without recursion (so no
 * input can overflow the stack): only plain objects, arrays, finite numbers, booleans, null and
 * well-formed strings; no accessors, symbols, bigints, functions, class instances or sparse arrays;
 * nesting at most `maxDepth`, UTF-8 JSON size at most `maxBytes`. Returns the copy and its size;
 * anything else is a ValidationError naming the path. `undefined` object properties are dropped.
 */
export function copyJson(value: unknown, bounds: { readonly maxDepth: number; readonly maxBytes: number }, what = 'value'): { readonly value: Json; readonly bytes: number } {
  const refuse = (path: string, message: string): never => {
    throw new ValidationError(`${what}: ${path} ${message}`, [{ path, message }]);
  };
  let bytes = 0;
  const add = (n: number, path: string) => {
    bytes += n;
    if (bytes > bounds.maxBytes) refuse(path, `makes it larger than ${bounds.maxBytes} bytes`);
  };
  const root: { value?: Json } = {};
  // Each entry: a value to copy and where to put the copy.
  const stack: { readonly input: unknown; readonly depth: number; readonly path: string; readonly put: (v: Json) => void }[] = [
    { input: value, depth: 0, path: '(root)', put: (v) => (root.value = v) },
  ];
  try {
    while (stack.length > 0) {
      const { input, depth, path, put } = stack.pop() as (typeof stack)[number];
      switch (typeof input) {
        case 'string':
          if (!isWellFormed(input)) refuse(path, 'is not well-formed Unicode (lone surrogate)');
          if (input.length > bounds.maxBytes) refuse(path, `makes it larger than ${bounds.maxBytes} bytes`);
          add(Buffer.byteLength(JSON.stringify(input)), path);
          put(input);
          continue;
        case 'number':
          if (!Number.isFinite(input)) refuse(path, 'must be a finite number');
          add(JSON.stringify(input).length, path);
          put(input);
          continue;
        case 'boolean':
          add(input ? 4 : 5, path);
          put(input);
          continue;
        case 'object':
          break;
        default:
          refuse(path, `must be JSON data, not a ${typeof input}`);
      }
      if (input === null) {
        add(4, path);
        put(null);
        continue;
      }
      if (depth + 1 > bounds.maxDepth) refuse(path, `is nested deeper than ${bounds.maxDepth} levels`);
      add(2, path); // brackets
      if (Array.isArray(input)) {
        const length = input.length;
        if (length > bounds.maxBytes) refuse(path, `makes it larger than ${bounds.maxBytes} bytes`);
        const copy: Json[] = new Array<Json>(length);
        put(copy);
        add(Math.max(0, length - 1), path); // commas
        for (let i = length - 1; i >= 0; i--) {
          const descriptor = Object.getOwnPropertyDescriptor(input, i);
          if (!descriptor) refuse(`${path}[${i}]`, 'is a hole in a sparse array');
          if (!('value' in (descriptor as PropertyDescriptor))) refuse(`${path}[${i}]`, 'is an accessor, not data');
          stack.push({ input: (descriptor as PropertyDescriptor).value, depth: depth + 1, path: `${path}[${i}]`, put: (v) => (copy[i] = v) });
        }
        continue;
      }
      const prototype: unknown = Object.getPrototypeOf(input);
      if (prototype !== Object.prototype && prototype !== null) refuse(path, 'must be a plain object');
      const copy: Record<string, Json> = {};
      put(copy);
      let members = 0;
      for (const key of Reflect.ownKeys(input as object)) {
        if (typeof key === 'symbol') refuse(path, 'has a symbol key');
        const name = key as string;
        const descriptor = Object.getOwnPropertyDescriptor(input, name) as PropertyDescriptor;
        if (!descriptor.enumerable) continue;
        const at = `${path === '(root)' ? '' : `${path}.`}${name}`;
        if (!('value' in descriptor)) refuse(at, 'is an accessor, not data');
        if (descriptor.value === undefined) continue;
        if (!isWellFormed(name)) refuse(at, 'is not well-formed Unicode (lone surrogate)');
        add(Buffer.byteLength(JSON.stringify(name)) + 1 + (members++ > 0 ? 1 : 0), at);
        // defineProperty: a key named __proto__ stays an own data property of the copy.
        stack.push({ input: descriptor.value, depth: depth + 1, path: at, put: (v) => Object.defineProperty(copy, name, { value: v, enumerable: true, writable: true, configurable: true }) });
      }
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    // A Proxy trap or similar threw while we looked: the value is not data.
    refuse('(root)', `could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { value: root.value as Json, bytes };
}

/** Checks parsed command input against the limits (depth and total size); returns a plain-data copy. */
export function checkCommandInput(input: unknown, limits: Limits): unknown {
  return copyJson(input, { maxDepth: limits.maxJsonDepth, maxBytes: limits.maxCommandBytes }, 'command').value;
}

/**
 * Checks the events one command (or one transaction) produces, before they are stored: each event's
 * data at most maxJsonDepth deep and the event at most maxEventBytes, all of them at most
 * maxCommandBytes. Returns the ValidationError instead of throwing, so callers refuse one command.
 */
export function eventLimitError(events: readonly { readonly type: string; readonly data: unknown }[], limits: Limits): ValidationError | undefined {
  let total = 0;
  try {
    for (const [index, event] of events.entries()) {
      const { bytes } = copyJson({ type: event.type, data: event.data }, { maxDepth: limits.maxJsonDepth + 1, maxBytes: limits.maxEventBytes }, `event ${index} (${event.type})`);
      total += bytes;
      if (total > limits.maxCommandBytes) {
        return new ValidationError(`the command's events are larger than ${limits.maxCommandBytes} bytes together`, [
          { path: '(events)', message: `larger than ${limits.maxCommandBytes} bytes` },
        ]);
      }
    }
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  return undefined;
}
