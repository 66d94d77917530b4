import { randomUUID } from 'node:crypto';
import { currentSchemaVersions, type DomainEvent } from '../../src/world/events.ts';
import type { NewEvent } from '../../src/eventStore/types.ts';

/** Wraps domain events in a writer's envelope, as the runtime does. */
export function newEvents(...events: DomainEvent[]): NewEvent[] {
  return events.map((event) => ({
    ...event,
    eventId: randomUUID(),
    schemaVersion: currentSchemaVersions[event.type],
    occurredAt: '2026-01-01T00:00:00.000Z',
    metadata: { correlationId: 'corr-1', causationId: null, actorId: 'tester' },
  }));
}

export const created = (name = 'Thing', generic = 'item'): DomainEvent => ({
  type: 'GameObjectCreated',
  data: { name, generic, containerId: null, attributes: {} },
});

export const attribute = (key: string, value: number | string): DomainEvent => ({
  type: 'GameObjectAttributeUpdated',
  data: { key, value },
});
