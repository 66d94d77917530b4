/** Aethyr runtime: an event-sourced world where every GameObject, Player and Room is a live XState actor. */
export * as machines from '../machines/index.ts';
export { loadConfig, parseConfig, type ConfigFile, type ImmudbStoreConfig, type RuntimeConfig } from './config/index.ts';
export {
  commandSchemas,
  commandTypes,
  currentSchemaVersions,
  domainEventTypes,
  eventSchemas,
  hashPassword,
  parseCommand,
  verifyPassword,
  type AggregateKind,
  type AggregateState,
  type Attributes,
  type Command,
  type CommandOf,
  type CommandType,
  type DomainEvent,
  type DomainEventOf,
  type DomainEventType,
  type GameObjectState,
  type JsonValue,
  type PlayerState,
  type RoomState,
} from './domain/index.ts';
export {
  ActorFailedError,
  ClosedError,
  CommandRejectedError,
  ConcurrencyError,
  ConfigError,
  DefinitionError,
  isActorFailedError,
  isCommandRejectedError,
  isConcurrencyError,
  isConfigError,
  isNotFoundError,
  isRuntimeError,
  isStoreUnavailableError,
  isValidationError,
  NotFoundError,
  RuntimeError,
  StoreUnavailableError,
  ValidationError,
  DuplicateEventError,
  isDuplicateEventError,
  type ErrorCode,
  type RejectionReason,
  type ValidationIssue,
} from './errors.ts';
export {
  assertExpectedVersion,
  defaultUpcasters,
  SqliteEventStore,
  UpcasterRegistry,
  type AppendOptions,
  type AppendResult,
  type Durability,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
  type StoredEvent,
  type StoreStats,
  type Upcaster,
} from './eventStore/index.ts';
export {
  ChainVerifier,
  copyStore,
  exportStore,
  importStore,
  verifyExportFile,
  verifyStore,
  type CopyReport,
  type EventRow,
  type IntegrityProblem,
  type VerifyFinding,
  type VerifyReport,
} from './eventStore/index.ts';
export { createMetrics, metricNames, type Metrics } from './metrics/index.ts';
export { redactSecrets } from './domain/redact.ts';
export { openRuntime, openStore, type OpenedStore } from './openRuntime.ts';
export { createRuntime, type CommandsOfAggregates, type Runtime, type RuntimeOptions } from './createRuntime.ts';
export {
  silentLogger,
  stderrLogger,
  systemClock,
  type ActorRef,
  type Clock,
  type CommandResult,
  type Logger,
  type RuntimeStats,
  type WorldCut,
  type WorldEntry,
  type SqliteStoreOptions,
} from './runtime/index.ts';
export {
  defineAggregate,
  defineTrait,
  isRejection,
  reject,
  type AggregateDefinition,
  type AnyAggregateDefinition,
  type CommandsOf,
  type CommandSchema,
  type Decided,
  type EventsOf,
  type EventSpec,
  type Rejection,
  type TraitDefinition,
} from './definition/define.ts';
export { readSetOf, type ReadAggregate, type ReadSet } from './definition/reads.ts';
export { defineProjection, projectionsOf, type ProjectionDefinition } from './projections/define.ts';
export { createProjections, type Projections, type ProjectionsHealth, type ProjectionsOptions } from './projections/projections.ts';
export { isReadModelMismatchError, ReadModelMismatchError } from './projections/identity.ts';
export type { CommittedEvent, CommittedHandler, EventFilter, RuntimeEvents } from './runtime/committedEvents.ts';
export { cancelTimer, schedule, type CancelRequest, type ScheduleRequest, type TimerRequest, type TimerState, type When } from './definition/timers.ts';
export type { PendingTimer } from './runtime/timers.ts';
export { AggregateRegistry, type AnyCommand, type AnyEvent, type HostedKind } from './definition/registry.ts';
export { machineFingerprint } from './definition/fingerprint.ts';
export * as world from './world/index.ts';
