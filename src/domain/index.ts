export { commandSchemas, commandTypes, parseCommand, type Command, type CommandOf, type CommandType } from './commands.ts';
export {
  currentSchemaVersions,
  domainEventTypes,
  eventSchemas,
  parseDomainEvent,
  type DomainEvent,
  type DomainEventOf,
  type DomainEventType,
} from './events.ts';
export { hashPassword, verifyPassword } from './password.ts';
export type { Attributes, JsonValue } from './schemas.ts';
export type { AggregateKind, AggregateState, GameObjectState, PlayerState, RoomState } from './state.ts';
