export { ClusterMember, type ClusterMemberHooks, type JoinOptions, type LeaseEndReason, type MemberStats, type ShardLease } from './ClusterMember.ts';
export { clusterOptionsSchema, resolveClusterOptions, type ClusterOptions, type ClusterOptionsInput } from './clusterOptions.ts';
export { murmur3 } from './hash.ts';
export { decodeError, encodeError, registerRemoteError, type WireError } from './remoteErrors.ts';
export { DEFAULT_SHARD_COUNT, ShardMap, type ShardId } from './shardMap.ts';
export { clusterBucket, pingSubject, rpcSubject } from './subjects.ts';
export { RETRYABLE_CODES, Transport, defineMethod, type CallOptions, type Handler, type Method, type RequestContext, type RetryOptions, type TransportOptions } from './transport.ts';
export { createClusterRuntime, derivedEventId, type ClusterRuntime, type ClusterRuntimeOptions } from './clusterRuntime.ts';
