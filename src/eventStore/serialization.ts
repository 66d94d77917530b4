import { parseDomainEvent, type DomainEvent } from '../domain/events.ts';
import { CorruptEventError, ValidationError } from '../errors.ts';
import type { EventMetadata, NewEvent, ReplayEvent, StoredEvent } from './types.ts';
import type { UpcasterRegistry } from './upcasters.ts';

/** An event as a storage row: JSON text for data and metadata, nothing language-specific. */
export interface EventRow {
  readonly position: number;
  readonly event_id: string;
  readonly stream_id: string;
  readonly version: number;
  readonly type: string;
  readonly schema_version: number;
  readonly data: string;
  readonly metadata: string;
  readonly occurred_at: string;
  readonly hash: string;
  readonly chain_hash: string;
}

/** An event's row before the store links it into the chains and gives it a position. */
export type UnlinkedRow = Omit<EventRow, 'position' | 'hash' | 'chain_hash'>;

export function serializeEvent(event: NewEvent, streamId: string, version: number): UnlinkedRow {
  return {
    event_id: event.eventId,
    stream_id: streamId,
    version,
    type: event.type,
    schema_version: event.schemaVersion,
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(event.metadata),
    occurred_at: event.occurredAt,
  };
}

/** Where a stored event sits, for the error that names it when it cannot be decoded. */
interface StoredAt {
  readonly streamId: string;
  readonly version: number;
  readonly position?: number | undefined;
}

/**
 * The one way stored event data becomes a domain event: parse, upcast, validate. Data that fails any step
 * was damaged in storage (the append path validated it), so it is a CorruptEventError naming where it sits,
 * never a SyntaxError or a ValidationError that would blame the caller.
 */
export function decodeEvent(upcasters: UpcasterRegistry, type: string, storedSchemaVersion: number, dataText: string, at: StoredAt): { event: DomainEvent; schemaVersion: number } {
  try {
    const { schemaVersion, data } = upcasters.upcast(type, storedSchemaVersion, JSON.parse(dataText));
    // Upcasters from a runtime's registry (defineAggregate kinds) validate as they upcast (CONTRACT.md: the codec).
    const event = 'validatesEvents' in upcasters ? ({ type, data } as DomainEvent) : parseDomainEvent(type, data);
    if (!event) throw new ValidationError(`unknown type or invalid ${type} data`);
    return { event, schemaVersion };
  } catch (error) {
    throw new CorruptEventError(at, error);
  }
}

/** A row read for replay (version, type, schema version, data text) as the event a fold takes. */
export function toReplayEvent(upcasters: UpcasterRegistry, streamId: string, version: number, type: string, schemaVersion: number, data: string): ReplayEvent {
  const { event } = decodeEvent(upcasters, type, schemaVersion, data, { streamId, version });
  return { type: event.type, data: event.data, version } as ReplayEvent;
}

/** A stored row as a full event with its envelope. */
export function deserializeEvent(row: EventRow, upcasters: UpcasterRegistry): StoredEvent {
  const { event, schemaVersion } = decodeEvent(upcasters, row.type, row.schema_version, row.data, { streamId: row.stream_id, version: row.version, position: row.position });
  let metadata: EventMetadata;
  try {
    metadata = JSON.parse(row.metadata) as EventMetadata;
  } catch (error) {
    throw new CorruptEventError({ streamId: row.stream_id, version: row.version, position: row.position }, error);
  }
  // An explicit literal, not a spread: one hidden class for every stored event (measurably faster).
  return {
    type: event.type,
    data: event.data,
    eventId: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    position: row.position,
    schemaVersion,
    occurredAt: row.occurred_at,
    metadata,
    hash: row.hash,
    chainHash: row.chain_hash,
  } as StoredEvent;
}

/** The stored form of an event just written: its envelope plus where the store put it. */
export function storedEvent(event: NewEvent, streamId: string, row: { version: number; hash: string; chain_hash: string }, position: number): StoredEvent {
  return {
    type: event.type,
    data: event.data,
    eventId: event.eventId,
    streamId,
    version: row.version,
    position,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    metadata: event.metadata,
    hash: row.hash,
    chainHash: row.chain_hash,
  } as StoredEvent;
}
