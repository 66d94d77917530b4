import type { AppendOptions, AppendPart, NewEvent } from '../types.ts';

/** appendToStream as the one-part appendMany every adapter runs it as: its options' kind goes with the part. */
export function singlePart(streamId: string, events: readonly NewEvent[], options: AppendOptions | undefined): AppendPart {
  return { streamId, events, options, ...(options?.kind !== undefined && { kind: options.kind }) };
}
