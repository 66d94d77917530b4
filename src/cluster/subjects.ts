import { ConfigError } from '../errors.ts';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * World and node names become NATS subject tokens and part of the KV bucket name, so they are restricted to
 * the characters both accept; anything else is a configuration error naming the option.
 */
export function checkToken(option: string, value: string): string {
  if (!TOKEN.test(value)) throw new ConfigError(`${option} must be 1-64 characters of A-Z, a-z, 0-9, _ or - (got ${JSON.stringify(value)})`);
  return value;
}

/** The subject a node serves requests on. */
export const rpcSubject = (world: string, node: string): string => `aethyr.${world}.rpc.${node}`;

/** The subject a member answers liveness pings on; "no responders" there means its connection is gone. */
export const pingSubject = (world: string, node: string): string => `aethyr.${world}.ping.${node}`;

/** The KV bucket holding a world's members and shard leases. */
export const clusterBucket = (world: string): string => `aethyr_${world}`;
