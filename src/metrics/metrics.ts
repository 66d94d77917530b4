import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric name lives here, so dashboards and code agree. */
export const metricNames = {
  liveActors: 'aethyr_live_actors',
  actorSpawns: 'aethyr_actor_spawns_total',
  actorPassivations: 'aethyr_actor_passivations_total',
  actorFailures: 'aethyr_actor_failures_total',
  mailboxDepth: 'aethyr_mailbox_depth',
  commands: 'aethyr_commands_total',
  commandDuration: 'aethyr_command_duration_seconds',
  eventsStored: 'aethyr_events_stored_total',
  storeFailures: 'aethyr_store_failures_total',
  eventsLoaded: 'aethyr_events_loaded_total',
  loadFailures: 'aethyr_load_failures_total',
  snapshotsStored: 'aethyr_snapshots_stored_total',
  snapshotsLoaded: 'aethyr_snapshots_loaded_total',
  snapshotsRefused: 'aethyr_snapshots_refused_total',
  appendDuration: 'aethyr_store_append_duration_seconds',
  readDuration: 'aethyr_store_read_duration_seconds',
  appendBatchSize: 'aethyr_store_append_batch_size',
  storeRetries: 'aethyr_store_retries_total',
  projectionPosition: 'aethyr_projection_position',
  projectionLag: 'aethyr_projection_lag_events',
  projectionEvents: 'aethyr_projection_events_applied_total',
  projectionFailures: 'aethyr_projection_failures_total',
  reactorFailures: 'aethyr_reactor_failures_total',
  poolTasks: 'aethyr_pool_tasks_total',
  sessions: 'aethyr_game_sessions',
  gameCommands: 'aethyr_game_commands_total',
  logins: 'aethyr_game_logins_total',
  gameTransfers: 'aethyr_game_transfers_total',
  gameLoginsSlowed: 'aethyr_game_logins_slowed_total',
  gameOutputDropped: 'aethyr_game_output_dropped_bytes_total',
  gameConnectionsRefused: 'aethyr_game_connections_refused_total',
  gameDisconnects: 'aethyr_game_disconnects_total',
  poolTaskDuration: 'aethyr_pool_task_duration_seconds',
  storeFallbackActive: 'aethyr_store_fallback_active',
} as const;

const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** The runtime's and stores' metrics, registered on one prom-client Registry (injected, never global). */
export function createMetrics(registry: Registry = new Registry()) {
  const labelled = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: L[] = [], buckets = latencyBuckets) =>
    new Histogram({ name, help, labelNames, buckets, registers: [registry] });
  return {
    registry,
    liveActors: gauge(metricNames.liveActors, 'Actors currently live in memory'),
    actorSpawns: counter(metricNames.actorSpawns, 'Actors spawned from the store'),
    actorPassivations: counter(metricNames.actorPassivations, 'Actors passivated (idle or evicted)'),
    actorFailures: counter(metricNames.actorFailures, 'Actors stopped because a handler threw'),
    mailboxDepth: gauge(metricNames.mailboxDepth, 'Messages waiting in all actor mailboxes'),
    commands: labelled(metricNames.commands, 'Commands handled, by type and outcome', ['type', 'outcome']),
    commandDuration: histogram(metricNames.commandDuration, 'Command latency from send to durable result', ['type']),
    eventsStored: counter(metricNames.eventsStored, 'Events appended durably'),
    storeFailures: counter(metricNames.storeFailures, 'Append batches that failed'),
    eventsLoaded: counter(metricNames.eventsLoaded, 'Events read from the store'),
    loadFailures: counter(metricNames.loadFailures, 'Reads that failed'),
    snapshotsStored: counter(metricNames.snapshotsStored, 'Snapshots saved'),
    snapshotsLoaded: counter(metricNames.snapshotsLoaded, 'Snapshots loaded'),
    snapshotsRefused: counter(metricNames.snapshotsRefused, 'Snapshots refused as malformed or forged (the aggregate was replayed from events)'),
    appendDuration: histogram(metricNames.appendDuration, 'Duration of one append batch (one transaction)'),
    readDuration: histogram(metricNames.readDuration, 'Duration of one read'),
    storeRetries: counter(metricNames.storeRetries, 'Store calls retried after a transient failure or a lost race'),
    storeFallbackActive: gauge(metricNames.storeFallbackActive, '1 when the configured store was unreachable and SQLite serves instead'),
    projectionPosition: new Gauge({ name: metricNames.projectionPosition, help: 'Last global position a projector or reactor applied', labelNames: ['name'], registers: [registry] }),
    projectionLag: new Gauge({ name: metricNames.projectionLag, help: 'Events appended but not yet applied by a projector', labelNames: ['name'], registers: [registry] }),
    projectionEvents: labelled(metricNames.projectionEvents, 'Events applied by projectors and reactors', ['name']),
    projectionFailures: labelled(metricNames.projectionFailures, 'Projectors stopped at an event that failed', ['name']),
    reactorFailures: labelled(metricNames.reactorFailures, 'Reactor handler failures (retried later)', ['name']),
    sessions: gauge(metricNames.sessions, 'Connected game clients'),
    gameCommands: labelled(metricNames.gameCommands, 'Player commands, by verb and outcome', ['verb', 'outcome']),
    logins: labelled(metricNames.logins, 'Login attempts, by outcome', ['outcome']),
    gameTransfers: labelled(metricNames.gameTransfers, 'Items that changed hands (one atomic transfer each), by the verb that moved them', ['verb']),
    gameLoginsSlowed: counter(metricNames.gameLoginsSlowed, 'Password checks that waited out a per-name slowdown first'),
    gameOutputDropped: counter(metricNames.gameOutputDropped, 'Bytes of output dropped because a client did not read them'),
    gameConnectionsRefused: labelled(metricNames.gameConnectionsRefused, 'Connections turned away at accept: full, per_address, shutting_down', ['reason']),
    gameDisconnects: labelled(metricNames.gameDisconnects, 'Connections the server cut: login_evicted, login_timeout, idle_timeout, shutdown_forced', ['reason']),
    poolTasks: labelled(metricNames.poolTasks, 'Worker pool tasks, by kind and outcome', ['kind', 'outcome']),
    poolTaskDuration: histogram(metricNames.poolTaskDuration, 'Worker pool task duration', ['kind'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]),
    appendBatchSize: histogram(metricNames.appendBatchSize, 'Appends group-committed per transaction', [], [1, 2, 5, 10, 50, 100, 500, 1000, 5000]),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Label values come from the runtime, never from a list kept here: a runtime declares the command
 * types its registry knows (every kind's and trait's), and each gets its `ok` series at 0 before its
 * first use, so dashboards see a game's own commands from the start. Anything else is labelled
 * `unknown` by the runtime, so input cannot grow the label set.
 */
export function declareCommandLabels(metrics: Metrics, commandTypes: readonly string[]): void {
  for (const type of commandTypes) metrics.commands.inc({ type, outcome: 'ok' }, 0);
}
