import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../src/errors.ts';
import { murmur3 } from '../../src/cluster/hash.ts';
import { DEFAULT_SHARD_COUNT, ShardMap } from '../../src/cluster/shardMap.ts';

const members = (n: number, prefix = 'node'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

function countBy<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe('murmur3', () => {
  it('matches the reference MurmurHash3_x86_32 vectors, so every node and release agrees', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    expect(murmur3('hello', 1)).not.toBe(murmur3('hello'));
  });
});

describe('ShardMap.shardOf', () => {
  it('defaults to 256 shards and refuses a shard count that is not a positive integer', () => {
    expect(new ShardMap().shardCount).toBe(DEFAULT_SHARD_COUNT);
    for (const bad of [0, -1, 1.5, Number.NaN, 70_000]) {
      expect(() => new ShardMap(bad)).toThrow(/cluster\.shards/);
      try {
        new ShardMap(bad);
      } catch (error) {
        expect(isConfigError(error)).toBe(true);
      }
    }
  });

  it('spreads sequential, prefixed ids evenly over the shards (chi-square well under the 0.1% critical value)', () => {
    const map = new ShardMap(256);
    const n = 256 * 400;
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < n; i += 1) counts[map.shardOf(`player:${i}`)]! += 1;
    const expected = n / 256;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: the 99.9% quantile is ~330. A poorly mixed hash (e.g. sum of char codes) gives thousands.
    expect(chiSquare).toBeLessThan(330);
    expect(Math.min(...counts)).toBeGreaterThan(expected * 0.75);
    expect(Math.max(...counts)).toBeLessThan(expected * 1.25);
  });

  it('is deterministic and in range', () => {
    const map = new ShardMap(10);
    for (const id of ['a', 'room:hall', 'ünïcödé', '']) {
      const shard = map.shardOf(id);
      expect(shard).toBe(map.shardOf(id));
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(10);
    }
  });
});

describe('ShardMap placement (rendezvous hashing)', () => {
  const map = new ShardMap(256);

  it('gives every member a fair share and every node the same answer whatever the member order', () => {
    for (const n of [2, 3, 5, 8]) {
      const list = members(n);
      const placement = map.placement(list);
      expect(map.placement([...list].reverse())).toEqual(placement);
      const counts = countBy(placement);
      expect([...counts.keys()].sort()).toEqual([...list].sort());
      for (const count of counts.values()) {
        expect(count).toBeGreaterThan((256 / n) * 0.6);
        expect(count).toBeLessThan((256 / n) * 1.4);
      }
    }
  });

  it('has no owner without members', () => {
    expect(map.ownerOf(3, [])).toBeUndefined();
  });

  it('on a join moves ~1/N of the shards, and only to the new member', () => {
    for (const n of [1, 2, 3, 4, 7]) {
      const before = map.placement(members(n));
      const after = map.placement([...members(n), 'joiner']);
      const moved = before.map((owner, shard) => (owner === after[shard] ? undefined : shard)).filter((s) => s !== undefined);
      for (const shard of moved) expect(after[shard]).toBe('joiner');
      const ideal = 256 / (n + 1);
      expect(moved.length).toBeGreaterThan(ideal * 0.6);
      expect(moved.length).toBeLessThan(ideal * 1.4);
    }
  });

  it('on a leave moves only the leaving member’s shards', () => {
    const list = members(5);
    const before = map.placement(list);
    const after = map.placement(list.filter((m) => m !== 'node-3'));
    before.forEach((owner, shard) => {
      if (owner === 'node-3') expect(after[shard]).not.toBe('node-3');
      else expect(after[shard]).toBe(owner);
    });
    // and they spread over the survivors rather than landing on one of them
    const heirs = countBy(before.flatMap((owner, shard) => (owner === 'node-3' ? [after[shard]] : [])));
    expect(heirs.size).toBe(4);
  });
});
