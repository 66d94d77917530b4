import type { AddressInfo, Socket } from 'node:net';
import type { AggregateState } from '../../world/state.ts';
import { InProcessBus, type GameBus, type GameMessage } from '../../cluster/bus.ts';
import { describe, isCommandRejectedError, isNotFoundError, isRuntimeError } from '../../errors.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { Projections } from '../../projections/projections.ts';
import { silentLogger, type Logger } from '../../runtime/logger.ts';
import { playerId, type Manager } from '../Manager.ts';
import { START_ROOM } from '../seed.ts';
import { checkName } from '../login/names.ts';
import { Connections } from './Connections.ts';
import { LoginGuard } from './rateLimit.ts';
import { Session } from './Session.ts';
import { describeRoom } from '../verbs/helpers.ts';
import { walk } from '../verbs/movement.ts';
import { findVerb } from '../verbs/table.ts';
import type { GameWorld, VerbContext } from '../verbs/types.ts';
import { formatForClient } from '../verbs/output.ts';
import { own, refusal } from '../verbs/words.ts';

export interface GameServerOptions {
  readonly manager: Manager;
  readonly metrics: Metrics;
  readonly projections: Projections;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  /** How players on this node hear the others (default: this process only). */
  readonly bus?: GameBus;
  /** What `@stats` shows about the cluster (lines); absent in single-process mode. */
  readonly cluster?: () => Promise<readonly string[]>;
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

/**
 * The telnet-compatible MUD server: every action is a Manager call (commands → events), and nothing
 * here keeps world state of its own: who is connected, and where they stand as read from the store.
 */
export class GameServer {
  readonly #o: Required<Omit<GameServerOptions, 'cluster'>> & Pick<GameServerOptions, 'cluster'>;
  readonly #connections: Connections;
  readonly #login = new Map<Session, LoginStage>();
  readonly #online = new Map<string, Session>();
  readonly #guard: LoginGuard;
  /** Sessions that turned colour off (`color off`); on by default. */
  readonly #colors = new WeakMap<Session, boolean>();
  /** What verbs see of this server. */
  readonly #world: GameWorld;

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
      bus: new InProcessBus(),
      ...options,
    };
    const o = this.#o;
    this.#guard = new LoginGuard({ failuresPerAddress: o.loginFailures, slowdownBaseMs: o.loginSlowdownBaseMs, slowdownMaxMs: o.loginSlowdownMaxMs });
    const limits = {
      maxConnections: o.maxConnections,
      maxPerAddress: o.maxConnectionsPerAddress,
      loginSlots: Math.min(o.loginSlots, o.maxConnections),
      loginTimeoutMs: o.loginTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      shutdownGraceMs: o.shutdownGraceMs,
    };
    this.#connections = new Connections(limits, (socket) => this.#connect(socket), o.logger, (session) => this.#disconnect(session), {
      refused: (reason) => o.metrics.gameConnectionsRefused.inc({ reason }),
      cut: (reason) => o.metrics.gameDisconnects.inc({ reason }),
    });
    const server = this;
    this.#world = {
      manager: this.#o.manager,
      metrics: this.#o.metrics,
      projections: this.#o.projections,
      online: () => o.bus.online(),
      get connections() {
        return server.sessions;
      },
      toRoom: (roomId, text, ...except) => this.#toRoom(roomId, text, ...except),
      tell: (playerId, text) => o.bus.send({ to: 'player', playerId, text }),
      shout: (text, ...except) => o.bus.send({ to: 'all', text, except: [...except] }),
      moved: (session, roomId) => {
        session.roomId = roomId;
        if (session.playerId) o.bus.moved(session.playerId, roomId);
      },
      cluster: () => o.cluster?.(),
      setColors: (session, on) => {
        this.#colors.set(session, on);
      },
      signOff: (session, farewell) => {
        if (session.playerId && this.#online.get(session.playerId) === session) {
          this.#online.delete(session.playerId);
          o.bus.left(session.playerId);
        }
        session.close(farewell);
      },
    };
    o.bus.attach((message) => this.#deliver(message));
  }

  /** Tells everyone playing in a room something (game notices: a creature arriving, say). */
  toRoom(roomId: string, text: string): void {
    this.#toRoom(roomId, text);
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
    const { maxLineBytes, commandBurst: burst, commandsPerSecond: perSecond, maxOutputBytes, metrics } = this.#o;
    const session = new Session(
      socket,
      {
        maxLineBytes,
        burst,
        perSecond,
        maxOutputBytes,
        onRateLimited: () => metrics.gameCommands.inc({ verb: 'unread', outcome: 'rate_limited' }),
        onOutputDropped: (bytes) => metrics.gameOutputDropped.inc(bytes),
      },
      (s, line) => this.#line(s, line),
    );
    metrics.sessions.set(this.#connections.size + 1);
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
      this.#o.bus.left(session.playerId);
      if (session.roomId) this.#toRoom(session.roomId, `${session.playerName} fades away.`, session.playerId);
    }
  }

  async #line(session: Session, line: string): Promise<void> {
    const login = this.#login.get(session);
    try {
      if (login) await this.#loginLine(session, login, line);
      else if (session.playerId) await this.#command(session, line);
    } catch (error) {
      this.#say(session, this.#explain(error));
      if (!isRuntimeError(error)) this.#o.logger.error('command failed', { player: session.playerId, error: describe(error) });
    }
    if (!session.closed && session.playerId && !this.#login.has(session)) session.prompt();
  }

  // --- logging in ---------------------------------------------------------------------------------

  async #loginLine(session: Session, login: LoginStage, line: string): Promise<void> {
    const { manager, metrics } = this.#o;
    switch (login.stage) {
      case 'name': {
        if (line.trim() === '') return session.prompt('By what name shall you be known? ');
        const checked = checkName(line);
        if (!checked.ok) return session.prompt(`${checked.reason} Your name? `);
        if (this.#guard.addressLocked(session.address)) {
          metrics.logins.inc({ outcome: 'locked' });
          session.close('Too many failed logins from your address. Try again later.');
          return;
        }
        const name = checked.name;
        const existing = await manager.state(playerId(name));
        if (existing && existing.name.toLowerCase() !== name.toLowerCase()) {
          return session.prompt(`That name is taken: it looks too much like ${existing.name}. Another name? `);
        }
        this.#login.set(session, existing ? { stage: 'password', name: existing.name } : { stage: 'new-password', name });
        session.echo(false);
        session.prompt(
          existing
            ? `${existing.name} is taken. If that is you, type your password (an empty line to choose another name).\r\nPassword: `
            : `A new character, ${name}. Choose a password (6+ characters): `,
        );
        return;
      }
      case 'password': {
        session.echo(true);
        session.write('\r\n');
        if (line === '') {
          this.#login.set(session, { stage: 'name' });
          return session.prompt('By what name shall you be known? ');
        }
        let player: Awaited<ReturnType<Manager['login']>>;
        const outcome = await this.#guard.attempt(login.name, session.address, async () => {
          player = await manager.login(login.name, line);
          return player !== undefined;
        });
        if ('waitedMs' in outcome && outcome.waitedMs > 0) metrics.gameLoginsSlowed.inc();
        if (outcome.result === 'locked') {
          metrics.logins.inc({ outcome: 'locked' });
          return session.close('Too many failed logins from your address. Try again later.');
        }
        if (outcome.result === 'busy') {
          metrics.logins.inc({ outcome: 'busy' });
          this.#login.set(session, { stage: 'name' });
          return session.prompt(`Too many wrong guesses for ${login.name}; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s. By what name shall you be known? `);
        }
        if (outcome.result !== 'ok' || !player) {
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
        if (line === '') return session.prompt('Choose a password (6+ characters): ');
        if (line.length < 6) {
          session.prompt('At least 6 characters, please. Choose a password: ');
          return;
        }
        this.#login.set(session, { stage: 'confirm', name: login.name, password: line });
        session.prompt('Repeat it: ');
        return;
      case 'confirm': {
        if (line === '') return session.prompt('\r\nRepeat it: ');
        session.echo(true);
        session.write('\r\n');
        if (line !== login.password) {
          this.#login.set(session, { stage: 'new-password', name: login.name });
          session.echo(false);
          session.prompt('They differ. Choose a password: ');
          return;
        }
        // The first character of a world is its builder: decided by the store, atomically (see Manager).
        let created: { id: string; builder: boolean };
        try {
          created = await manager.as(playerId(login.name)).createCharacter({ name: login.name, password: line, roomId: START_ROOM });
        } catch (error) {
          if (!(isCommandRejectedError(error) && error.reason === 'ALREADY_EXISTS')) throw error;
          this.#login.set(session, { stage: 'name' });
          return session.prompt(`Someone has just taken the name ${login.name}. By what name shall you be known? `);
        }
        const { id, builder: admin } = created;
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
    // A session of this player on another node is closed there (here, `previous` already was).
    this.#o.bus.send({ to: 'takeover', playerId: player.id, node: this.#o.bus.node, text: 'You have logged in from elsewhere.' });
    this.#o.bus.entered({ id: player.id, name: player.name, roomId: session.roomId });
    this.#colors.set(session, player.attributes['color'] !== false);
    session.send(`Welcome, ${player.name}.`);
    this.#toRoom(session.roomId, `${player.name} appears.`, player.id);
    this.#say(session, await describeRoom(this.#world, session));
  }

  #manager(session: Session): Manager {
    return this.#o.manager.as(session.playerId ?? 'server');
  }

  // --- playing ------------------------------------------------------------------------------------

  async #command(session: Session, line: string): Promise<void> {
    if (line.trim() === '') return;
    // "'hello" says, ":waves" emotes: a leading punctuation verb needs no space after it.
    const punct = /^\s*([':])\s*(.*)$/.exec(line);
    const typed = punct ? (punct[1] as string) : (line.trim().split(/\s+/)[0] ?? '');
    const rest = punct ? (punct[2] as string).trim() : line.trim().slice(typed.length).trim();
    const words = rest ? rest.split(/\s+/) : [];
    const verb = findVerb(typed, session.admin);
    let label = verb?.name ?? 'unknown';
    let outcome = 'ok';
    const ctx: VerbContext = {
      world: this.#world,
      session,
      me: session.playerId as string,
      m: this.#manager(session),
      typed: typed.toLowerCase(),
      verb: verb?.name ?? 'go',
      words,
      rest,
      here: session.roomId ?? START_ROOM,
      reply: (text) => this.#say(session, text),
      notFound: (text) => {
        outcome = 'not_found';
        this.#say(session, text);
      },
    };
    try {
      if (verb) await verb.run(ctx);
      else if (await this.#isExit(ctx.here, typed.toLowerCase())) {
        label = 'go';
        await walk(ctx, typed.toLowerCase());
      } else {
        outcome = 'unknown_verb';
        this.#say(session, typed.startsWith('@') && session.admin ? 'Unknown builder command. Type help.' : `Huh? "${typed}" is not a command here. Type help.`);
      }
    } catch (error) {
      outcome = isRuntimeError(error) ? error.code.toLowerCase() : 'error';
      throw error;
    } finally {
      this.#o.metrics.gameCommands.inc({ verb: label, outcome });
    }
  }

  /** An exit of the room by its own name ("in", "portal"), typed without `go`. */
  async #isExit(roomId: string, word: string): Promise<boolean> {
    const room = await this.#o.manager.state(roomId);
    return room?.kind === 'room' && own(room.exits, word) !== undefined;
  }

  /** Sends text to one session: wrapped to its width, coloured unless it turned colour off. */
  #say(session: Session, text: string): void {
    session.send(this.#format(session, text));
  }

  #format(session: Session, text: string): string {
    return formatForClient(text, session.width, this.#colors.get(session) ?? true);
  }

  /** Something that happened to a player while they may be typing: formatted as `#say` does, on a fresh line, prompt redrawn. */
  #notify(session: Session, text: string): void {
    session.notify(this.#format(session, text));
  }

  /** Tells everyone in a room but the players `except`, on every node (through the bus). */
  #toRoom(roomId: string, text: string, ...except: readonly string[]): void {
    this.#o.bus.send({ to: 'room', roomId, text, except: [...except] });
  }

  /** A message from the bus, for the players connected here. */
  #deliver(message: GameMessage): void {
    switch (message.to) {
      case 'room':
        for (const [id, session] of this.#online) if (session.roomId === message.roomId && !message.except.includes(id)) this.#notify(session, message.text);
        return;
      case 'all':
        for (const [id, session] of this.#online) if (!message.except.includes(id)) this.#notify(session, message.text);
        return;
      case 'player': {
        const session = this.#online.get(message.playerId);
        if (session) this.#notify(session, message.text);
        return;
      }
      case 'takeover': {
        const session = this.#online.get(message.playerId);
        if (!session) return;
        this.#online.delete(message.playerId);
        this.#o.bus.left(message.playerId);
        session.close(message.text);
        return;
      }
      default: {
        const _exhaustive: never = message;
        throw new Error(`unknown game message ${String(_exhaustive)}`);
      }
    }
  }

  #explain(error: unknown): string {
    if (isCommandRejectedError(error)) return refusal[error.reason] ?? `You cannot: ${error.message.replace(/^[A-Za-z]+ \S+: /, '')}.`;
    if (isNotFoundError(error)) return 'That does not exist.';
    if (isRuntimeError(error) && error.code === 'VALIDATION') return `That makes no sense: ${error.message}`;
    return 'Something went wrong; nothing was changed.';
  }
}
