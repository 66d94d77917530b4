import type { AddressInfo, Socket } from 'node:net';
import { redactSecrets } from '../../domain/redact.ts';
import type { AggregateState } from '../../domain/state.ts';
import { describe, isCommandRejectedError, isNotFoundError, isRuntimeError } from '../../errors.ts';
import { verifyStore } from '../../eventStore/integrity.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { Projections } from '../../projections/projections.ts';
import { silentLogger, type Logger } from '../../runtime/logger.ts';
import { playerId, type Manager } from '../Manager.ts';
import { START_ROOM } from '../seed.ts';
import { Connections, type ConnectionLimits } from './Connections.ts';
import { LoginGuard } from './rateLimit.ts';
import { Session } from './Session.ts';
import { DIRECTIONS, matches, OPPOSITE, refusal } from './words.ts';

export interface GameServerOptions {
  readonly manager: Manager;
  readonly metrics: Metrics;
  readonly projections?: Projections;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  readonly maxConnections?: number;
  readonly maxLineBytes?: number;
  /** Commands per client: burst, then per second (default 20, 10). */
  readonly commandBurst?: number;
  readonly commandsPerSecond?: number;
  /** Failed logins per address before that address is locked out for a minute (default 5). */
  readonly loginFailures?: number;
  /** Guesses for one name are spaced by this, doubling per failure (default 1 s)... */
  readonly loginSlowdownBaseMs?: number;
  /** ...up to this; a guess that would wait longer is refused (default 30 s). */
  readonly loginSlowdownMaxMs?: number;
  /** Output queued for a client that does not read, at most (default 256 KiB). */
  readonly maxOutputBytes?: number;
  readonly maxConnectionsPerAddress?: number;
  readonly loginSlots?: number;
  readonly loginTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly shutdownGraceMs?: number;
}

type LoginStage =
  | { readonly stage: 'name' }
  | { readonly stage: 'password'; readonly name: string }
  | { readonly stage: 'new-password'; readonly name: string }
  | { readonly stage: 'confirm'; readonly name: string; readonly password: string };

const NAME = /^[A-Za-z][A-Za-z0-9_-]{1,19}$/;
const HELP = `Commands:
  look [thing]          n s e w u d, or an exit's name: walk
  get <item>            drop <item>            give <item> <player>
  inventory (i)         wear <item>            wield <item>            remove <item>
  say <message>         who                    help                    quit`;
const BUILDER_HELP = `Builder commands:
  @dig <direction> <room name>     a new room, with exits both ways
  @describe <text>                 this room's description
  @create <name> [key=value ...]   a new item in your hands (slot=head makes it wearable)
  @destroy <item>                  @history <thing>        @at <thing> <version>
  @stats                           @verify                 @rebuild`;

/**
 * The telnet-compatible MUD server: every action is a Manager call (commands → events), and nothing
 * here keeps world state of its own: who is connected, and where they stand as read from the store.
 */
export class GameServer {
  readonly #o: Required<Omit<GameServerOptions, 'projections'>> & { projections: Projections | undefined };
  readonly #connections: Connections;
  readonly #login = new Map<Session, LoginStage>();
  readonly #online = new Map<string, Session>();
  readonly #guard: LoginGuard;

  constructor(options: GameServerOptions) {
    this.#o = {
      host: '127.0.0.1',
      port: 4000,
      logger: silentLogger,
      maxConnections: 1000,
      maxLineBytes: 512,
      commandBurst: 20,
      commandsPerSecond: 10,
      loginFailures: 5,
      loginSlowdownBaseMs: 1000,
      loginSlowdownMaxMs: 30_000,
      maxOutputBytes: 256 * 1024,
      maxConnectionsPerAddress: 20,
      loginSlots: 200,
      loginTimeoutMs: 60_000,
      idleTimeoutMs: 3_600_000,
      shutdownGraceMs: 5000,
      ...options,
      projections: options.projections,
    };
    const o = this.#o;
    this.#guard = new LoginGuard({ failuresPerAddress: o.loginFailures, slowdownBaseMs: o.loginSlowdownBaseMs, slowdownMaxMs: o.loginSlowdownMaxMs });
    const limits: ConnectionLimits = {
      maxConnections: o.maxConnections,
      maxPerAddress: o.maxConnectionsPerAddress,
      loginSlots: Math.min(o.loginSlots, o.maxConnections),
      loginTimeoutMs: o.loginTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      shutdownGraceMs: o.shutdownGraceMs,
    };
    this.#connections = new Connections(limits, (socket) => this.#connect(socket), o.logger, (session) => this.#disconnect(session));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  async start(): Promise<AddressInfo> {
    return this.#connections.listen(this.#o.host, this.#o.port);
  }

  get sessions(): number {
    return this.#connections.size;
  }

  /** Bytes of output waiting in this process for clients to read them, all sessions together. */
  get queuedOutputBytes(): number {
    return this.#connections.queuedOutputBytes;
  }

  /**
   * Stops accepting, lets every session finish the commands it sent and says goodbye, all within the
   * shutdown grace period; connections still open after it are destroyed.
   */
  async stop(): Promise<void> {
    await this.#connections.stop('The world pauses: the server is shutting down. Your progress is saved.', () =>
      Promise.all([...this.#connections.sessions].map((s) => s.idle())),
    );
  }

  #connect(socket: Socket): Session {
    socket.setNoDelay(true);
    const { maxLineBytes, commandBurst: burst, commandsPerSecond: perSecond, maxOutputBytes } = this.#o;
    const session = new Session(socket, { maxLineBytes, burst, perSecond, maxOutputBytes }, (s, line) => this.#line(s, line));
    this.#o.metrics.sessions.set(this.#connections.size + 1);
    this.#login.set(session, { stage: 'name' });
    session.send('Welcome to Aethyr, a world that never forgets.');
    session.prompt('By what name shall you be known? ');
    return session;
  }

  #disconnect(session: Session): void {
    this.#login.delete(session);
    this.#o.metrics.sessions.set(this.#connections.size);
    if (session.playerId && this.#online.get(session.playerId) === session) {
      this.#online.delete(session.playerId);
      if (session.roomId) this.#toRoom(session.roomId, `${session.playerName} fades away.`, session);
    }
  }

  async #line(session: Session, line: string): Promise<void> {
    const login = this.#login.get(session);
    try {
      if (login) await this.#loginLine(session, login, line);
      else if (session.playerId) await this.#command(session, line);
    } catch (error) {
      session.send(this.#explain(error));
      if (!isRuntimeError(error)) this.#o.logger.error('command failed', { player: session.playerId, error: describe(error) });
    }
    if (!session.closed && session.playerId && !this.#login.has(session)) session.prompt();
  }

  // --- logging in ---------------------------------------------------------------------------------

  async #loginLine(session: Session, login: LoginStage, line: string): Promise<void> {
    const { manager, metrics } = this.#o;
    switch (login.stage) {
      case 'name': {
        if (!NAME.test(line)) {
          session.prompt('Names are 2-20 letters, digits, _ or -, starting with a letter. Your name? ');
          return;
        }
        if (this.#guard.addressLocked(session.address)) {
          metrics.logins.inc({ outcome: 'locked' });
          session.close('Too many failed logins. Try again later.');
          return;
        }
        const exists = await manager.state(playerId(line));
        this.#login.set(session, exists ? { stage: 'password', name: line } : { stage: 'new-password', name: line });
        session.echo(false);
        session.prompt(exists ? 'Password: ' : `A new character, ${line}. Choose a password (6+ characters): `);
        return;
      }
      case 'password': {
        session.echo(true);
        session.write('\r\n');
        const slot = this.#guard.reserve(login.name, session.address);
        if (!slot.allowed) {
          metrics.logins.inc({ outcome: 'locked' });
          if (slot.reason === 'address') return session.close('Too many failed logins. Try again later.');
          this.#login.set(session, { stage: 'name' });
          session.prompt(`Too many wrong guesses for ${login.name}; try again in ${Math.ceil(slot.retryAfterMs / 1000)} s. By what name shall you be known? `);
          return;
        }
        if (slot.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, slot.waitMs));
        let player: Awaited<ReturnType<Manager['login']>>;
        try {
          player = await manager.login(login.name, line);
        } finally {
          slot.release(player ? 'ok' : 'failed');
        }
        if (!player) {
          metrics.logins.inc({ outcome: 'failed' });
          this.#login.set(session, { stage: 'name' });
          session.prompt('Wrong password. By what name shall you be known? ');
          return;
        }
        metrics.logins.inc({ outcome: 'ok' });
        await this.#enter(session, player);
        return;
      }
      case 'new-password':
        session.write('\r\n');
        if (line.length < 6) {
          session.prompt('At least 6 characters, please. Choose a password: ');
          return;
        }
        this.#login.set(session, { stage: 'confirm', name: login.name, password: line });
        session.prompt('Repeat it: ');
        return;
      case 'confirm': {
        session.echo(true);
        session.write('\r\n');
        if (line !== login.password) {
          this.#login.set(session, { stage: 'new-password', name: login.name });
          session.echo(false);
          session.prompt('They differ. Choose a password: ');
          return;
        }
        // The first character of a world is its builder.
        const projections = this.#o.projections;
        if (projections) await projections.catchUp();
        const admin = projections ? projections.readModel.admins().length === 0 : false;
        const id = await manager.as(playerId(login.name)).createPlayer({ name: login.name, password: line, roomId: START_ROOM, admin });
        metrics.logins.inc({ outcome: 'created' });
        this.#guard.trust(login.name, session.address);
        const player = await manager.state(id);
        if (player?.kind === 'player') await this.#enter(session, player);
        if (admin) session.send('You are the first here: you can build. Type help.');
        return;
      }
      default: {
        const _exhaustive: never = login;
        throw new Error(`unknown login stage ${String(_exhaustive)}`);
      }
    }
  }

  async #enter(session: Session, player: AggregateState & { kind: 'player' }): Promise<void> {
    const previous = this.#online.get(player.id);
    if (previous && previous !== session) previous.close('You have logged in from elsewhere.');
    this.#login.delete(session);
    session.playerId = player.id;
    session.playerName = player.name;
    session.admin = player.admin;
    session.roomId = player.containerId;
    if (!session.roomId) {
      await this.#manager(session).moveTo(player.id, START_ROOM);
      session.roomId = START_ROOM;
    }
    this.#online.set(player.id, session);
    session.send(`Welcome, ${player.name}.`);
    this.#toRoom(session.roomId, `${player.name} appears.`, session);
    await this.#look(session);
  }

  #manager(session: Session): Manager {
    return this.#o.manager.as(session.playerId ?? 'server');
  }

  // --- playing ------------------------------------------------------------------------------------

  async #command(session: Session, line: string): Promise<void> {
    if (line === '') return;
    const [rawVerb = '', ...words] = line.split(/\s+/);
    const verb = rawVerb.toLowerCase();
    const rest = line.slice(rawVerb.length).trim();
    let outcome = 'ok';
    try {
      await this.#dispatch(session, verb, words, rest);
    } catch (error) {
      outcome = isRuntimeError(error) ? error.code.toLowerCase() : 'error';
      throw error;
    } finally {
      this.#o.metrics.gameCommands.inc({ verb: KNOWN_VERBS.has(verb) ? verb : 'other', outcome });
    }
  }

  async #dispatch(session: Session, verb: string, words: string[], rest: string): Promise<void> {
    const me = session.playerId as string;
    const m = this.#manager(session);
    switch (verb) {
      case 'look':
      case 'l':
        return rest ? this.#examine(session, rest) : this.#look(session);
      case 'go':
        return this.#walk(session, rest.toLowerCase());
      case 'get':
      case 'take': {
        const room = await m.room(session.roomId ?? START_ROOM);
        const item = await this.#find(room.inventory, rest);
        if (!item) return session.send(`You see no ${rest || 'such thing'} here.`);
        await m.transfer(item.id, room.id, me);
        session.send(`You pick up ${item.name}.`);
        return this.#toRoom(room.id, `${session.playerName} picks up ${item.name}.`, session);
      }
      case 'drop': {
        const item = await this.#find(await this.#inventory(me), rest);
        if (!item) return session.send(`You carry no ${rest || 'such thing'}.`);
        await m.transfer(item.id, me, session.roomId ?? START_ROOM);
        session.send(`You drop ${item.name}.`);
        return this.#toRoom(session.roomId ?? START_ROOM, `${session.playerName} drops ${item.name}.`, session);
      }
      case 'give': {
        const target = words.at(-1) ?? '';
        const what = words.slice(0, -1).join(' ');
        const other = [...this.#online.values()].find((s) => s !== session && s.roomId === session.roomId && s.playerName.toLowerCase() === target.toLowerCase());
        if (!what || !other?.playerId) return session.send('Give what to whom? (give <item> <player>, who must be here)');
        const item = await this.#find(await this.#inventory(me), what);
        if (!item) return session.send(`You carry no ${what}.`);
        await m.transfer(item.id, me, other.playerId);
        session.send(`You give ${item.name} to ${other.playerName}.`);
        other.notify(`${session.playerName} gives you ${item.name}.`);
        return;
      }
      case 'inventory':
      case 'inv':
      case 'i': {
        const player = await m.state(me);
        const worn = new Map(Object.entries(player?.equipment ?? {}).map(([slot, id]) => [id, slot]));
        const items = await Promise.all((player?.inventory ?? []).map((id) => m.state(id)));
        const lines = items.filter((i): i is AggregateState => !!i).map((i) => `  ${i.name}${worn.has(i.id) ? ` (${worn.get(i.id) === 'wield' ? 'wielded' : `worn on ${worn.get(i.id)}`})` : ''}`);
        return session.send(lines.length ? `You carry:\n${lines.join('\n')}` : 'You carry nothing.');
      }
      case 'wear':
      case 'wield': {
        const item = await this.#find(await this.#inventory(me), rest);
        if (!item) return session.send(`You carry no ${rest || 'such thing'}.`);
        const slot = verb === 'wield' ? 'wield' : item.attributes['slot'];
        if (typeof slot !== 'string') return session.send(`You cannot wear ${item.name}.`);
        await m.equip(me, item.id, slot);
        session.send(verb === 'wield' ? `You wield ${item.name}.` : `You wear ${item.name} on your ${slot}.`);
        return this.#toRoom(session.roomId ?? START_ROOM, `${session.playerName} ${verb === 'wield' ? 'wields' : 'puts on'} ${item.name}.`, session);
      }
      case 'remove': {
        const player = await m.state(me);
        const item = await this.#find(Object.values(player?.equipment ?? {}), rest);
        const slot = item && Object.entries(player?.equipment ?? {}).find(([, id]) => id === item.id)?.[0];
        if (!item || !slot) return session.send(`You are not using any ${rest || 'such thing'}.`);
        await m.unequip(me, item.id, slot);
        return session.send(`You stop using ${item.name}.`);
      }
      case 'say':
      case "'":
        if (!rest) return session.send('Say what?');
        session.send(`You say, "${rest}"`);
        return this.#toRoom(session.roomId ?? START_ROOM, `${session.playerName} says, "${rest}"`, session);
      case 'who': {
        const names = [...this.#online.values()].map((s) => s.playerName).sort();
        return session.send(`${names.length} online: ${names.join(', ')}`);
      }
      case 'help':
        return session.send(session.admin ? `${HELP}\n${BUILDER_HELP}` : HELP);
      case 'quit':
      case 'exit':
        if (session.roomId) this.#toRoom(session.roomId, `${session.playerName} leaves the world.`, session);
        this.#online.delete(me);
        session.close('Goodbye. The world will remember you.');
        return;
      default:
        if (verb.startsWith('@')) return this.#build(session, verb, words, rest);
        return this.#walk(session, DIRECTIONS[verb] ?? verb, true);
    }
  }

  async #walk(session: Session, direction: string, guessed = false): Promise<void> {
    const room = await this.#o.manager.room(session.roomId ?? START_ROOM);
    const target = room.exits[direction];
    if (!target) return session.send(guessed ? 'Huh? (type help)' : `You cannot go ${direction || 'nowhere'} from here.`);
    await this.#manager(session).moveTo(session.playerId as string, target);
    this.#toRoom(room.id, `${session.playerName} leaves ${direction}.`, session);
    session.roomId = target;
    this.#toRoom(target, `${session.playerName} arrives from the ${OPPOSITE[direction] ?? 'somewhere'}.`, session);
    return this.#look(session);
  }

  async #look(session: Session): Promise<void> {
    const room = await this.#o.manager.room(session.roomId ?? START_ROOM);
    const items = (await Promise.all(room.inventory.map((id) => this.#o.manager.state(id)))).filter((i) => i && !i.deleted).map((i) => i?.name);
    const people = [...this.#online.values()].filter((s) => s !== session && s.roomId === room.id).map((s) => s.playerName);
    const exits = Object.keys(room.exits);
    session.send(
      [
        room.name,
        room.description,
        `Exits: ${exits.length ? exits.join(', ') : 'none'}.`,
        ...(items.length ? [`You see: ${items.join(', ')}.`] : []),
        ...(people.length ? [`Here: ${people.join(', ')}.`] : []),
      ].join('\n'),
    );
  }

  async #examine(session: Session, what: string): Promise<void> {
    const room = await this.#o.manager.room(session.roomId ?? START_ROOM);
    const item = (await this.#find(room.inventory, what)) ?? (await this.#find(await this.#inventory(session.playerId as string), what));
    if (!item) return session.send(`You see no ${what} here.`);
    const details = Object.entries(item.attributes).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    session.send(`${item.name} (${item.generic})${details.length ? `\n  ${details.join(', ')}` : ''}`);
  }

  // --- building -----------------------------------------------------------------------------------

  async #build(session: Session, verb: string, words: string[], rest: string): Promise<void> {
    if (!session.admin) return session.send('Huh? (type help)');
    const m = this.#manager(session);
    const here = session.roomId ?? START_ROOM;
    switch (verb) {
      case '@dig': {
        const [raw = '', ...name] = words;
        const direction = DIRECTIONS[raw.toLowerCase()] ?? raw.toLowerCase();
        if (!direction || name.length === 0) return session.send('Usage: @dig <direction> <room name>');
        const id = await m.createRoom({ name: name.join(' '), description: 'An unfinished place.' });
        await m.digExit(here, direction, id, OPPOSITE[direction] ?? 'back');
        return session.send(`You dig ${direction} to ${name.join(' ')} (${id}).`);
      }
      case '@describe':
        if (!rest) return session.send('Usage: @describe <text>');
        await m.describeRoom(here, rest);
        return session.send('The room is described anew.');
      case '@create': {
        const attributes: Record<string, string | number> = {};
        const name = words
          .filter((w) => {
            const [k, v] = w.split('=');
            if (!k || v === undefined || !/^[a-z_]+$/i.test(k)) return true;
            attributes[k] = /^-?\d+$/.test(v) ? Number(v) : v;
            return false;
          })
          .join(' ');
        if (!name) return session.send('Usage: @create <name> [key=value ...]');
        const id = await m.createObject({ name, generic: 'item', heldBy: session.playerId as string, attributes });
        return session.send(`You create ${name} (${id}).`);
      }
      case '@destroy': {
        const item = (await this.#find(await this.#inventory(session.playerId as string), rest)) ?? (await this.#find((await m.room(here)).inventory, rest));
        if (!item) return session.send(`No ${rest} here or in your hands.`);
        await m.deleteObject(item.id);
        return session.send(`${item.name} is no more.`);
      }
      case '@history':
      case '@at': {
        const [target = '', version] = verb === '@at' ? [words.slice(0, -1).join(' '), words.at(-1)] : [rest, undefined];
        const id = await this.#resolve(session, target);
        if (!id) return session.send(`Nothing called ${target} here.`);
        if (verb === '@at') {
          const state = await m.runtime.stateAt(id, { version: Number(version) });
          return session.send(state ? JSON.stringify(redactSecrets(state), null, 2) : `${id} did not exist at version ${version}.`);
        }
        const events = await m.runtime.history(id);
        return session.send(
          [`History of ${id}:`, ...events.map((e) => `  v${e.version} ${e.occurredAt} ${e.type} ${JSON.stringify(redactSecrets(e.data))} (by ${e.metadata.actorId ?? '-'})`)].join('\n'),
        );
      }
      case '@stats': {
        const stats = await m.runtime.stats();
        return session.send(`events ${stats.eventCount}, aggregates ${stats.aggregateCount}, snapshots ${stats.snapshotCount}, live actors ${stats.liveActors}, sessions ${this.#connections.size}`);
      }
      case '@verify': {
        const report = await verifyStore(m.runtime.store);
        const p = report.firstProblem;
        return session.send(report.ok ? `Verified ${report.eventsChecked} events in ${report.streamsChecked} streams: intact.` : `TAMPERED: ${p?.problem} event at position ${p?.position} (${p?.streamId} v${p?.version}).`);
      }
      case '@rebuild': {
        const projections = this.#o.projections;
        const world = await m.runtime.rebuildWorldState();
        const read = projections ? await projections.rebuild() : undefined;
        return session.send(
          `Replayed ${world.aggregates} aggregates: ${world.divergent.length} divergent.${read ? ` Read model rebuilt from ${read.events} events.` : ''}`,
        );
      }
      default:
        return session.send('Unknown builder command. Type help.');
    }
  }

  // --- helpers ------------------------------------------------------------------------------------

  async #inventory(holder: string): Promise<readonly string[]> {
    return (await this.#o.manager.state(holder))?.inventory ?? [];
  }

  async #find(ids: readonly string[], query: string): Promise<AggregateState | undefined> {
    if (!query) return undefined;
    for (const id of ids) {
      const state = await this.#o.manager.state(id);
      if (state && !state.deleted && matches(state.name, query)) return state;
    }
    return undefined;
  }

  /** here, me, an online player's name, an item here or held, or a raw id. */
  async #resolve(session: Session, what: string): Promise<string | undefined> {
    const q = what.trim().toLowerCase();
    if (q === 'here') return session.roomId ?? undefined;
    if (q === 'me') return session.playerId;
    const player = [...this.#online.values()].find((s) => s.playerName.toLowerCase() === q);
    if (player?.playerId) return player.playerId;
    const room = session.roomId ? await this.#o.manager.state(session.roomId) : undefined;
    const item = (await this.#find(room?.inventory ?? [], q)) ?? (await this.#find(await this.#inventory(session.playerId as string), q));
    if (item) return item.id;
    return (await this.#o.manager.state(what.trim())) ? what.trim() : undefined;
  }

  #toRoom(roomId: string, text: string, except?: Session): void {
    for (const session of this.#online.values()) {
      if (session !== except && session.roomId === roomId) session.notify(text);
    }
  }

  #explain(error: unknown): string {
    if (isCommandRejectedError(error)) return refusal[error.reason] ?? `You cannot: ${error.message.replace(/^[A-Za-z]+ \S+: /, '')}.`;
    if (isNotFoundError(error)) return 'That does not exist.';
    if (isRuntimeError(error) && error.code === 'VALIDATION') return `That makes no sense: ${error.message}`;
    return 'Something went wrong; nothing was changed.';
  }
}

const KNOWN_VERBS = new Set([
  'look', 'l', 'go', 'get', 'take', 'drop', 'give', 'inventory', 'inv', 'i', 'wear', 'wield', 'remove', 'say', "'", 'who', 'help', 'quit', 'exit',
  'n', 's', 'e', 'w', 'u', 'd', '@dig', '@describe', '@create', '@destroy', '@history', '@at', '@stats', '@verify', '@rebuild',
]);
