import { ConfigError } from '../errors.ts';
import { fmix32, murmur3 } from './hash.ts';

/** A shard number in `0 .. shardCount - 1`. */
export type ShardId = number;

export const DEFAULT_SHARD_COUNT = 256;

/**
 * Which shard an aggregate lives in, and which live member should own each shard.
 *
 * The shard count is fixed for the life of a world (changing it moves almost every aggregate), so it is
 * large compared with the number of nodes. Placement is rendezvous (highest random weight) hashing: each
 * member scores every shard and the highest score wins, so when a member joins it takes ~1/N of the
 * shards from the others and when one leaves only its own shards move. No table to store or agree on:
 * every node computes the same answer from the same member list.
 */
export class ShardMap {
  readonly shardCount: number;

  constructor(shardCount: number = DEFAULT_SHARD_COUNT) {
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 65_536) {
      throw new ConfigError(`cluster.shards must be an integer from 1 to 65536 (got ${String(shardCount)})`);
    }
    this.shardCount = shardCount;
  }

  /** The shard of an aggregate id. Stable across processes and releases: never change the hash. */
  shardOf(aggregateId: string): ShardId {
    return murmur3(aggregateId) % this.shardCount;
  }

  /** The member that should own `shard` among `members` (undefined when there are none). */
  ownerOf(shard: ShardId, members: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestScore = -1;
    for (const member of members) {
      const score = rendezvousScore(shard, member);
      // Ties (rare with 32-bit scores) go to the smaller name so every node agrees.
      if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
        best = member;
        bestScore = score;
      }
    }
    return best;
  }

  /** The desired owner of every shard, indexed by shard. */
  placement(members: readonly string[]): (string | undefined)[] {
    return Array.from({ length: this.shardCount }, (_, shard) => this.ownerOf(shard, members));
  }
}

/** A member's weight for a shard: the member's hash mixed with the shard number, avalanched again. */
function rendezvousScore(shard: ShardId, member: string): number {
  return fmix32(murmur3(member) ^ fmix32(shard + 0x9e3779b9));
}
