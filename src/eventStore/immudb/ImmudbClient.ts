import { createRequire } from 'node:module';
import { StoreUnavailableError } from '../../errors.ts';

/*
 * immudb-node's `Client` class calls process.exit when the server is unreachable, installs
 * exit/SIGINT/uncaughtException handlers and loads .env on import. We never import it: this small
 * client talks to ImmuDB through the package's generated gRPC stubs only (token login, database
 * selection, SQL exec/query, KV set/get, current state), with a deadline on every call.
 */
const require = createRequire(import.meta.url);
const stubsPath = require.resolve('immudb-node/dist/src/proto/schema_grpc_pb.js');
const requireFromStubs = createRequire(stubsPath);
// The stubs' own copy of grpc-js, so credentials and metadata objects match what they expect.
const grpc = requireFromStubs('@grpc/grpc-js') as GrpcModule;
const services = require(stubsPath) as { ImmuServiceClient: new (address: string, credentials: unknown) => GrpcClient };
const pb = requireFromStubs('./schema_pb.js') as Record<string, new () => PbMessage>;
const { Empty } = requireFromStubs('google-protobuf/google/protobuf/empty_pb.js') as { Empty: new () => PbMessage };

/* Minimal shapes of the generated code we use (it ships no usable typings). */
type PbMessage = Record<string, (...args: never[]) => unknown>;
interface GrpcError extends Error {
  code?: number;
  details?: string;
}
interface GrpcModule {
  credentials: { createInsecure(): unknown };
  Metadata: new () => { set(key: string, value: string): void };
}
type Callback = (error: GrpcError | null, response: PbMessage) => void;
type GrpcClient = Record<string, (request: PbMessage, metadata: unknown, options: { deadline: number }, callback: Callback) => void> & {
  close(): void;
};

export type SqlParam = string | number | boolean | null;
export type SqlValue = string | number | boolean | null | Uint8Array;

export interface ImmudbConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Deadline of each call, in ms. */
  readonly timeoutMs?: number;
}

/** gRPC status codes that mean "try again": UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED. */
const TRANSIENT = new Set([14, 4, 8, 10]);
const UNAUTHENTICATED = 16;

/** A failed call, with the gRPC code and whether retrying may help. */
export class ImmudbCallError extends Error {
  readonly grpcCode: number | undefined;
  readonly transient: boolean;
  constructor(method: string, error: GrpcError) {
    super(`ImmuDB ${method} failed: ${error.details || error.message}`);
    this.grpcCode = error.code;
    this.transient = error.code !== undefined && TRANSIENT.has(error.code);
  }
  /** Another writer committed something this transaction read or wrote. */
  get conflict(): boolean {
    return /tx read conflict|key already exists|already exists/.test(this.message);
  }
}

/** Our small ImmuDB client: one connection, one database, SQL. Safe to share; calls run concurrently. */
export class ImmudbClient {
  readonly #options: ImmudbConnectionOptions;
  readonly #client: GrpcClient;
  #metadata: unknown;
  #closed = false;

  private constructor(options: ImmudbConnectionOptions) {
    this.#options = options;
    this.#client = new services.ImmuServiceClient(`${options.host}:${options.port}`, grpc.credentials.createInsecure());
  }

  /** Logs in, creates the database if it is missing, and selects it. */
  static async connect(options: ImmudbConnectionOptions): Promise<ImmudbClient> {
    const client = new ImmudbClient(options);
    try {
      await client.#login();
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  get database(): string {
    return this.#options.database;
  }

  async exec(sql: string, params: Readonly<Record<string, SqlParam>> = {}): Promise<void> {
    const request = new pb['SQLExecRequest']!();
    request['setSql']!(sql as never);
    request['setParamsList']!(namedParams(params) as never);
    await this.#call('sQLExec', request);
  }

  /** Runs a query; rows come back as arrays of values in the order of the selected columns. */
  async query(sql: string, params: Readonly<Record<string, SqlParam>> = {}): Promise<SqlValue[][]> {
    const request = new pb['SQLQueryRequest']!();
    request['setSql']!(sql as never);
    request['setParamsList']!(namedParams(params) as never);
    const result = await this.#call('sQLQuery', request);
    return (result['getRowsList']!() as PbMessage[]).map((row) => (row['getValuesList']!() as PbMessage[]).map(fromSqlValue));
  }

  /** KV: writes a value under a key (its own transaction); resolves with the transaction id. */
  async set(key: string, value: string | Uint8Array): Promise<number> {
    const kv = new pb['KeyValue']!();
    kv['setKey']!(Buffer.from(key) as never);
    kv['setValue']!((typeof value === 'string' ? Buffer.from(value) : value) as never);
    const request = new pb['SetRequest']!();
    request['setKvsList']!([kv] as never);
    return (await this.#call('set', request))['getId']!() as number;
  }

  /** KV: the latest value under a key, or undefined when there is none. */
  async get(key: string): Promise<Buffer | undefined> {
    const request = new pb['KeyRequest']!();
    request['setKey']!(Buffer.from(key) as never);
    try {
      return Buffer.from((await this.#call('get', request))['getValue_asU8']!() as Uint8Array);
    } catch (error) {
      if (error instanceof ImmudbCallError && /key not found/i.test(error.message)) return undefined;
      throw error;
    }
  }

  /** The server's current state of this database: its last transaction id and that transaction's hash. */
  async currentState(): Promise<{ txId: number; txHash: string }> {
    const state = await this.#call('currentState', new Empty());
    return { txId: state['getTxid']!() as number, txHash: Buffer.from(state['getTxhash_asU8']!() as Uint8Array).toString('hex') };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  async #login(): Promise<void> {
    const { user, password, database } = this.#options;
    const login = new pb['LoginRequest']!();
    login['setUser']!(Buffer.from(user) as never);
    login['setPassword']!(Buffer.from(password) as never);
    let token: string;
    try {
      token = (await this.#raw('login', login, new grpc.Metadata()))['getToken']!() as string;
    } catch (error) {
      const reason = error instanceof ImmudbCallError && !error.transient ? 'check IMMUDB_USER / IMMUDB_PASSWORD' : 'is the server running?';
      throw new StoreUnavailableError(`ImmuDB login as "${user}" at ${this.#options.host}:${this.#options.port} failed (${reason}): ${(error as Error).message}`, error);
    }
    const auth = bearer(token);
    const names = (await this.#raw('databaseList', new Empty(), auth))['getDatabasesList']!() as PbMessage[];
    const db = new pb['Database']!();
    db['setDatabasename']!(database as never);
    if (!names.some((d) => d['getDatabasename']!() === database)) {
      await this.#raw('createDatabase', db, auth).catch((error: unknown) => {
        if (!/already exists/.test((error as Error).message)) throw error;
      });
    }
    this.#metadata = bearer((await this.#raw('useDatabase', db, auth))['getToken']!() as string);
  }

  /** A call with our session; logs in again once if the server forgot us (it restarted). */
  async #call(method: string, request: PbMessage): Promise<PbMessage> {
    try {
      return await this.#raw(method, request, this.#metadata);
    } catch (error) {
      if (!(error instanceof ImmudbCallError) || (error.grpcCode !== UNAUTHENTICATED && !/token|session|not logged/i.test(error.message))) throw error;
      await this.#login();
      return this.#raw(method, request, this.#metadata);
    }
  }

  #raw(method: string, request: PbMessage, metadata: unknown): Promise<PbMessage> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('ImmuDB client is closed'));
    const deadline = Date.now() + (this.#options.timeoutMs ?? 10_000);
    return new Promise((resolve, reject) => {
      this.#client[method]!(request, metadata, { deadline }, (error, response) =>
        error ? reject(new ImmudbCallError(method, error)) : resolve(response),
      );
    });
  }
}

function bearer(token: string): unknown {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function namedParams(params: Readonly<Record<string, SqlParam>>): PbMessage[] {
  return Object.entries(params).map(([name, value]) => {
    const param = new pb['NamedParam']!();
    param['setName']!(name as never);
    const sql = new pb['SQLValue']!();
    if (value === null) sql['setNull']!(0 as never);
    else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new TypeError(`SQL parameter ${name} must be an integer`);
      sql['setN']!(value as never);
    } else if (typeof value === 'boolean') sql['setB']!(value as never);
    else sql['setS']!(value as never);
    param['setValue']!(sql as never);
    return param;
  });
}

// SQLValue oneof cases in the generated code: 1 null, 2 n, 3 s, 4 b, 5 bs.
function fromSqlValue(value: PbMessage): SqlValue {
  switch (value['getValueCase']!() as number) {
    case 2:
      return value['getN']!() as number;
    case 3:
      return value['getS']!() as string;
    case 4:
      return value['getB']!() as boolean;
    case 5:
      return value['getBs_asU8']!() as Uint8Array;
    default:
      return null;
  }
}
