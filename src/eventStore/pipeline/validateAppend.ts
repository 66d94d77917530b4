import { ValidationError } from '../../errors.ts';
import type { AppendPart, EventCodec } from '../types.ts';

/** The default codec: any event whose type is a non-empty string and whose data is a JSON value. */
export const anyJson: EventCodec = {
  validate(event) {
    if (typeof event.type !== 'string' || event.type.length === 0) throw new ValidationError('an event type must be a non-empty string');
    let text: string | undefined;
    try {
      text = JSON.stringify(event.data);
    } catch (error) {
      throw new ValidationError(`${event.type} data is not JSON: ${(error as Error).message}`);
    }
    if (text === undefined) throw new ValidationError(`${event.type} data is not a JSON value`);
  },
};

/**
 * Validates every event of an append through the store's codec before anything is queued or written:
 * one bad event refuses the whole append with a ValidationError naming the stream and the event.
 */
export function validateAppend(parts: readonly AppendPart[], codec: EventCodec): void {
  for (const part of parts) {
    for (const [i, event] of part.events.entries()) {
      try {
        codec.validate({ type: event.type, schemaVersion: event.schemaVersion, data: event.data });
      } catch (error) {
        if (error instanceof ValidationError) throw new ValidationError(`${part.streamId} event ${i + 1}: ${error.message}`, error.issues);
        throw new ValidationError(`${part.streamId} event ${i + 1} (${String(event.type)}) does not validate: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }
}

/** Runs `append` only if every event validates (see validateAppend); a refusal is the returned promise's rejection. */
export function appendValidated<T>(parts: readonly AppendPart[], codec: EventCodec, append: () => Promise<T>): Promise<T> {
  try {
    validateAppend(parts, codec);
  } catch (error) {
    return Promise.reject(error);
  }
  return append();
}
