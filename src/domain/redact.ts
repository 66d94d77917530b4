/** A copy of `value` with every passwordHash replaced, for anything printed or logged. */
export function redactSecrets<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'passwordHash' && typeof v === 'string' ? '<redacted>' : v)) as T;
}
