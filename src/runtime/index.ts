export type { CommandResult } from './actorHost.ts';
export { systemClock, type Clock } from './clock.ts';
export type { WorldCut, WorldEntry } from './worldAt.ts';
export { silentLogger, stderrLogger, type Logger } from './logger.ts';
export {
  createRuntime,
  type ActorRef,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStats,
  type SqliteStoreOptions,
} from './runtime.ts';
