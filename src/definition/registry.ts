import type { AnyStateMachine } from 'xstate';
import { CommandRejectedError, DefinitionError, NotFoundError, ValidationError, type ValidationIssue } from '../errors.ts';
import { isRejection, type AnyAggregateDefinition, type AnyTrait, type CommandSchema, type EventSpec, type Rejection } from './define.ts';
import { machineFingerprint } from './fingerprint.ts';
import { folderFor, UnsupportedMachineError, type FoldState, type Folder } from './fold.ts';
import { readSetOf, type ReadSet } from './reads.ts';
import { isTimerRequest, timerKind, type TimerRequest } from './timers.ts';

/** A command the registry parsed: its `type` names a declared command, `id` the target aggregate. */
export interface AnyCommand {
  readonly type: string;
  readonly id: string;
  readonly [field: string]: unknown;
}
export interface AnyEvent {
  readonly type: string;
  readonly data: unknown;
}

/** One kind as a runtime hosts it: its definition plus everything derived from it once. */
export interface HostedKind {
  readonly name: string;
  readonly definition: AnyAggregateDefinition;
  readonly machine: AnyStateMachine;
  /** What snapshots are stamped with: the definition's `version`, or the machine's fingerprint. */
  readonly snapshotVersion: number;
  readonly fold: Folder['fold'];
  readonly initial: Folder['initial'];
  readonly commandTypes: ReadonlySet<string>;
  readonly eventTypes: ReadonlySet<string>;
  /** Reads a persisted snapshot's state back, or throws saying why it is not one of this kind's states. */
  parseSnapshot(persisted: unknown): FoldState;
}

/** What deciding a command gives: its kind, its events and the state they lead to, or a typed refusal. */
export type Outcome =
  | { readonly ok: true; readonly kind: HostedKind; readonly events: readonly AnyEvent[]; readonly next: FoldState; readonly timers: readonly TimerRequest[] }
  | { readonly ok: false; readonly error: CommandRejectedError | NotFoundError };

/** An aggregate as a host holds it: its kind and state (undefined while it has no stream). */
export interface Current {
  readonly kind: HostedKind;
  readonly state: FoldState;
}

type Decider = (state: unknown, command: AnyCommand, reads: ReadSet) => unknown;
/** What a decide called without a read set sees: no other aggregate exists. */
const NO_READS = readSetOf();

interface CommandEntry {
  readonly schema: CommandSchema;
  readonly hasType: boolean;
}

/**
 * Every kind a runtime hosts, checked once at createRuntime: command parsing, routing (which kind a
 * command and a stream belong to), decide with its traits, event validation, upcasting, and the fold.
 * Nothing here knows any particular world.
 */
export class AggregateRegistry {
  readonly kinds: ReadonlyMap<string, HostedKind>;
  readonly commandTypes: readonly string[];
  readonly #commands = new Map<string, CommandEntry>();
  readonly #creators = new Map<string, HostedKind>();
  readonly #events = new Map<string, EventSpec>();
  readonly #decide = new Map<HostedKind, Map<string, Decider>>();

  constructor(definitions: readonly AnyAggregateDefinition[]) {
    if (definitions.length === 0) throw new DefinitionError('(none)', 'a runtime needs at least one aggregate definition');
    const kinds = new Map<string, HostedKind>();
    // Every runtime hosts the timer kind: the streams that durable timers (schedule() in decide) live on.
    for (const definition of [...definitions, timerKind as AnyAggregateDefinition]) {
      if (definition.kind === timerKind.kind && definition !== timerKind) throw new DefinitionError(definition.kind, 'the kind name timer is reserved for durable timers');
      if (kinds.has(definition.kind)) throw new DefinitionError(definition.kind, 'defined twice (kinds must be unique in a runtime)');
      const kind = this.#host(definition);
      kinds.set(kind.name, kind);
    }
    this.kinds = kinds;
    this.commandTypes = [...this.#commands.keys()];
  }

  kind(name: string): HostedKind {
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`no aggregate kind ${name} in this runtime (known: ${[...this.kinds.keys()].join(', ')})`);
    return kind;
  }

  /** True if some kind declares the command type. */
  declares(type: string): boolean {
    return this.#commands.has(type);
  }

  /** Parses untrusted input into a command some kind declares, or throws a ValidationError naming each bad field. */
  parseCommand(input: unknown): AnyCommand {
    const type = (input as { type?: unknown } | null)?.type;
    const entry = typeof type === 'string' ? this.#commands.get(type) : undefined;
    if (!entry) {
      throw new ValidationError(`unknown command type: ${typeof type === 'string' ? type : String(type)}`, [
        { path: 'type', message: `must be one of ${this.commandTypes.join(', ')}` },
      ]);
    }
    let body = input;
    if (!entry.hasType) {
      const { type: _type, ...rest } = input as { type: string };
      body = rest;
    }
    const result = entry.schema.safeParse(body);
    if (!result.success) {
      const issues: ValidationIssue[] = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      throw new ValidationError(`invalid ${type as string}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
    }
    return (entry.hasType ? result.data : { type, ...result.data }) as AnyCommand;
  }

  /**
   * The kind of a stream: the one place a stream's kind is resolved. `storedKind` is the kind the store
   * keeps with the stream's head (`streamHead`); streams written before kinds were stored have none
   * (null or undefined), and only for those is the kind told from the stream's first event.
   */
  kindOfStream(first: AnyEvent, storedKind?: string | null): HostedKind {
    if (typeof storedKind === 'string') {
      const stored = this.kinds.get(storedKind);
      if (!stored) throw new Error(`the stream's stored kind ${storedKind} is not hosted here (hosted: ${[...this.kinds.keys()].join(', ')})`);
      return stored as HostedKind;
    }
    const claimed = [...this.kinds.values()].filter((k) => k.definition.startsStream?.(first));
    if (claimed.length === 1) return claimed[0] as HostedKind;
    const declaring = claimed.length > 1 ? claimed : [...this.kinds.values()].filter((k) => !k.definition.startsStream && k.eventTypes.has(first.type));
    if (declaring.length !== 1) {
      throw new Error(`cannot tell the kind of a stream that starts with ${first.type}: ${declaring.length === 0 ? 'no kind starts streams with it' : `claimed by ${declaring.map((k) => k.name).join(', ')}`}`);
    }
    return declaring[0] as HostedKind;
  }

  /** The schema version the code writes for an event type (1 for types no kind declares). */
  schemaVersion(type: string): number {
    return this.#events.get(type)?.version ?? 1;
  }

  /** Brings data stored at an older schema version up to the current one, step by step. */
  upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown } {
    const spec = this.#events.get(type);
    const target = spec?.version ?? schemaVersion;
    let version = schemaVersion;
    let current = data;
    while (version < target) {
      const step = spec?.upcasters?.[version];
      if (!step) throw new Error(`no upcaster for ${type} from schema version ${version} to ${target}`);
      current = step(current);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }

  /** Throws unless the event is declared and its data (at the current schema version) fits its schema. */
  validateEvent(event: { readonly type: string; readonly schemaVersion?: number; readonly data: unknown }): void {
    const spec = this.#events.get(event.type);
    if (!spec) throw new ValidationError(`event type ${event.type} is declared by no aggregate kind`);
    const { data } = event.schemaVersion === undefined ? event : this.upcast(event.type, event.schemaVersion, event.data);
    const result = spec.schema.safeParse(data);
    if (!result.success) throw new ValidationError(`invalid ${event.type} data: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  }

  /** The codec a store validates appends with (see CONTRACT.md). */
  get codec(): { validate(event: { type: string; schemaVersion: number; data: unknown }): void; upcast(event: { type: string; schemaVersion: number; data: unknown }): { type: string; schemaVersion: number; data: unknown } } {
    return {
      validate: (event) => this.validateEvent(event),
      upcast: (event) => ({ type: event.type, ...this.upcast(event.type, event.schemaVersion, event.data) }),
    };
  }

  /**
   * Routes and decides one command against an aggregate's current state. An id without a stream is
   * created by the kind whose create command this is (any other command: NOT_FOUND); an existing
   * aggregate takes only the commands its kind declares (others: WRONG_KIND, or ALREADY_EXISTS for a
   * create). The events are validated and applied once through the fold: a handler that throws, or
   * an event the kind does not declare, fails here, before anything is stored.
   */
  decide(id: string, current: Current | undefined, command: AnyCommand, reads: ReadSet = NO_READS): Outcome {
    const refuse = (reason: string, message: string): Outcome => ({
      ok: false,
      error: new CommandRejectedError(reason, id, command.type, `${command.type} ${id}: ${message}`),
    });
    let kind: HostedKind;
    if (!current) {
      const creator = this.#creators.get(command.type);
      if (!creator) return { ok: false, error: new NotFoundError(id, `${command.type} ${id}: no such object`) };
      kind = creator;
    } else {
      kind = current.kind;
      if (this.#creators.has(command.type)) return refuse('ALREADY_EXISTS', 'already exists');
      if (!kind.commandTypes.has(command.type)) {
        const declaring = [...this.kinds.values()].filter((k) => k.commandTypes.has(command.type)).map((k) => k.name.replace(/_/g, ' '));
        return refuse('WRONG_KIND', `${command.type} applies to a ${declaring.join(' or a ')}, and ${id} is a ${kind.name.replace(/_/g, ' ')}`);
      }
      const refused = kind.definition.precondition?.(current.state.context, command);
      if (refused) return refuse(refused.reason, refused.message);
    }
    const decided = (this.#decide.get(kind)?.get(command.type) as Decider)(current?.state.context, command, reads);
    if (isRejection(decided)) return refuse((decided as Rejection).reason, (decided as Rejection).message);
    if (!Array.isArray(decided)) throw new Error(`${kind.name} decide for ${command.type} returned neither events nor a rejection`);
    const events: AnyEvent[] = [];
    const timers: TimerRequest[] = [];
    for (const item of decided as unknown[]) {
      if (isTimerRequest(item)) {
        if ('command' in item) this.#scheduledCommand(kind, command, item.command);
        timers.push(item);
      } else events.push(item as AnyEvent);
    }
    for (const event of events) {
      if (!kind.eventTypes.has(event.type)) throw new Error(`${kind.name} decide for ${command.type} returned ${String(event.type)}, an event the kind does not declare`);
      this.validateEvent(event);
    }
    const next = events.length === 0 && current ? current.state : kind.fold(current?.state ?? kind.initial(id), events);
    return { ok: true, kind, events, next, timers };
  }

  /** A scheduled command must parse now: a schedule that could never run is a handler bug, caught before anything is stored. */
  #scheduledCommand(kind: HostedKind, command: AnyCommand, scheduled: unknown): void {
    try {
      this.parseCommand(scheduled);
    } catch (error) {
      throw new Error(`${kind.name} decide for ${command.type} scheduled an invalid command: ${(error as Error).message}`);
    }
  }

  #host(definition: AnyAggregateDefinition): HostedKind {
    const name = definition.kind;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name)) {
      throw new DefinitionError(String(name), 'kind must be lower_snake_case, at most 64 characters (it is stored with every stream)');
    }
    const fail = (message: string): never => {
      throw new DefinitionError(name, message);
    };
    const traits = (definition.traits ?? []) as readonly AnyTrait[];
    const deciders = new Map<string, Decider>();
    const eventTypes = new Set<string>();
    const parts: { owner: string; commands: Record<string, CommandSchema>; events: Record<string, EventSpec>; decide: Decider }[] = [
      { owner: name, commands: definition.commands, events: definition.events, decide: (s, c, r) => definition.decide(s, c as never, r) },
      ...traits.map((t) => ({ owner: `trait ${t.name}`, commands: t.commands, events: t.events, decide: (s: unknown, c: AnyCommand, r: ReadSet) => t.decide(s, c as never, r) })),
    ];
    for (const part of parts) {
      for (const [type, schema] of Object.entries(part.commands)) {
        if (deciders.has(type)) fail(`command ${type} is declared twice (by ${part.owner} and another part)`);
        const known = this.#commands.get(type);
        if (known && known.schema !== schema) fail(`command ${type} is declared by another kind with a different schema; share one definition (a trait)`);
        const shape = (schema as { shape?: Record<string, unknown> }).shape;
        if (!shape || !('id' in shape)) fail(`command ${type} must be an object schema with an id`);
        this.#commands.set(type, { schema, hasType: 'type' in (shape as object) });
        deciders.set(type, part.decide);
      }
      for (const [type, spec] of Object.entries(part.events)) {
        const known = this.#events.get(type);
        if (known && known !== spec) fail(`event ${type} is declared by another kind with a different spec; share one definition (a trait)`);
        const version = spec.version ?? 1;
        if (!Number.isInteger(version) || version < 1) fail(`event ${type}: version must be a positive integer`);
        for (let v = 1; v < version; v++) if (typeof spec.upcasters?.[v] !== 'function') fail(`event ${type} is at version ${version} but has no upcaster from version ${v}`);
        this.#events.set(type, spec);
        eventTypes.add(type);
      }
    }
    for (const type of definition.creates) {
      if (!Object.hasOwn(definition.commands, type)) fail(`creates ${type}, which is not one of its own commands`);
      const other = this.#creators.get(type);
      if (other) fail(`create command ${type} is also a create of ${other.name}; a create command decides the kind`);
    }
    const machine = definition.machine;
    if (!machine || typeof machine.transition !== 'function') fail('machine must be an XState v5 machine from setup().createMachine()');
    const handled = handledEventTypes(machine.config as Record<string, unknown>);
    for (const type of eventTypes) if (!handled.has(type) && !handled.has('*')) fail(`event ${type} is not handled by its machine (no state has an \`on\` transition for it)`);
    let folder: Folder;
    try {
      folder = folderFor(machine);
    } catch (error) {
      if (error instanceof UnsupportedMachineError) fail(error.message);
      throw error;
    }
    const stateSchema = definition.state;
    const kind: HostedKind = {
      name,
      definition,
      machine,
      snapshotVersion: definition.version ?? machineFingerprint(machine),
      fold: folder!.fold,
      initial: folder!.initial,
      commandTypes: new Set(deciders.keys()),
      eventTypes,
      parseSnapshot(persisted) {
        const { value, context } = (persisted ?? {}) as { value?: unknown; context?: unknown };
        if (typeof context !== 'object' || context === null) throw new Error(`not a persisted ${name} snapshot: no context`);
        const states = (machine.config.states ?? {}) as Record<string, unknown>;
        if (folder!.fast ? typeof value !== 'string' || !Object.hasOwn(states, value) : !isStateValue(machine, value)) {
          throw new Error(`not a persisted ${name} snapshot: ${JSON.stringify(value)} is not a state of its machine`);
        }
        if (stateSchema) {
          const result = stateSchema.safeParse(context);
          if (!result.success) throw new Error(`not a persisted ${name} snapshot: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
        }
        return { value: value as FoldState['value'], context };
      },
    };
    const own = new Map<string, Decider>();
    for (const [type, decide] of deciders) own.set(type, decide);
    this.#decide.set(kind, own);
    for (const type of definition.creates) this.#creators.set(type, kind);
    return kind;
  }
}

/** Every event type some state (or the root) of a machine config has an `on` transition for. */
function handledEventTypes(config: Record<string, unknown>): Set<string> {
  const types = new Set<string>();
  const visit = (node: Record<string, unknown>) => {
    for (const type of Object.keys((node['on'] ?? {}) as object)) types.add(type);
    for (const child of Object.values((node['states'] ?? {}) as Record<string, Record<string, unknown>>)) visit(child);
  };
  visit(config);
  return types;
}

function isStateValue(machine: AnyStateMachine, value: unknown): boolean {
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null)) return false;
  try {
    machine.resolveState({ value: value as never, context: {} as never });
    return true;
  } catch {
    return false;
  }
}
