import { z } from 'zod';
import { attributesSchema, idSchema, jsonValueSchema, keySchema, nameSchema, passwordHashSchema, textSchema } from './schemas.ts';

const event = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.strictObject({ type: z.literal(type), data: z.strictObject(data) });

export const eventSchemas = {
  GameObjectCreated: event('GameObjectCreated', {
    name: nameSchema,
    generic: keySchema,
    containerId: idSchema.nullable(),
    attributes: attributesSchema,
  }),
  GameObjectAttributeUpdated: event('GameObjectAttributeUpdated', { key: keySchema, value: jsonValueSchema }),
  GameObjectAttributesUpdated: event('GameObjectAttributesUpdated', { attributes: attributesSchema }),
  GameObjectContainerUpdated: event('GameObjectContainerUpdated', { containerId: idSchema.nullable() }),
  GameObjectDeleted: event('GameObjectDeleted', {}),
  PlayerCreated: event('PlayerCreated', { passwordHash: passwordHashSchema, admin: z.boolean() }),
  PlayerPasswordUpdated: event('PlayerPasswordUpdated', { passwordHash: passwordHashSchema }),
  PlayerAdminStatusUpdated: event('PlayerAdminStatusUpdated', { admin: z.boolean() }),
  RoomCreated: event('RoomCreated', { description: textSchema, exits: z.record(keySchema, idSchema) }),
  RoomDescriptionUpdated: event('RoomDescriptionUpdated', { description: textSchema }),
  RoomExitAdded: event('RoomExitAdded', { direction: keySchema, targetRoomId: idSchema }),
  RoomExitRemoved: event('RoomExitRemoved', { direction: keySchema }),
  ItemAddedToInventory: event('ItemAddedToInventory', {
    itemId: idSchema,
    position: z.number().int().nonnegative().optional(),
  }),
  ItemRemovedFromInventory: event('ItemRemovedFromInventory', { itemId: idSchema }),
  ItemEquipped: event('ItemEquipped', { itemId: idSchema, slot: keySchema }),
  ItemUnequipped: event('ItemUnequipped', { itemId: idSchema, slot: keySchema }),
} as const;

type Schemas = typeof eventSchemas;
export type DomainEventType = keyof Schemas;
/** A domain event as the decide step emits it and the machines consume it: `{ type, data }`. */
export type DomainEvent = { [K in DomainEventType]: z.infer<Schemas[K]> }[DomainEventType];
export type DomainEventOf<K extends DomainEventType> = Extract<DomainEvent, { type: K }>;

export const domainEventTypes = Object.keys(eventSchemas) as DomainEventType[];

/**
 * The schema version the code writes for each event type. Raise one when an event's data changes
 * shape, and register an upcaster from the old version (see upcasters.ts).
 */
export const currentSchemaVersions: Readonly<Record<DomainEventType, number>> = {
  ...(Object.fromEntries(domainEventTypes.map((t) => [t, 1])) as Record<DomainEventType, number>),
  // v1 had { name, generic, container } and no attributes.
  GameObjectCreated: 2,
};

export function isDomainEventType(type: string): type is DomainEventType {
  return Object.hasOwn(eventSchemas, type);
}

/** Validates event data read from storage (after upcasting); returns the typed domain event. */
export function parseDomainEvent(type: string, data: unknown): DomainEvent | undefined {
  if (!isDomainEventType(type)) return undefined;
  const result = eventSchemas[type].safeParse({ type, data });
  return result.success ? (result.data as DomainEvent) : undefined;
}
