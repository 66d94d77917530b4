import { z } from 'zod';
import { defineMethod } from '../../src/cluster/transport.ts';

/** Methods the transport test serves from a child process; shared so both sides use the same codec. */
export const echo = defineMethod('echo', {
  request: z.object({ text: z.string().max(10_000) }),
  response: z.object({ text: z.string(), from: z.string() }),
});

/** Counts how often the handler really ran for a key (retries with the same id must not run it again). */
export const count = defineMethod('count', {
  request: z.object({ key: z.string(), delayMs: z.number().int().min(0).max(5000).default(0) }),
  response: z.object({ calls: z.number().int() }),
});

export const fail = defineMethod('fail', {
  request: z.object({ kind: z.enum(['rejected', 'notFound', 'concurrency', 'plain']) }),
  response: z.object({}),
});

/** Replies with a body that does not match its own response schema. */
export const badReply = defineMethod('badReply', {
  request: z.object({}),
  response: z.object({ n: z.number() }),
});

/** Work on a shard: the child never owns any (NOT_OWNER); the test's own node does. */
export const onShard = defineMethod('onShard', {
  request: z.object({ shard: z.number().int() }),
  response: z.object({ servedBy: z.string() }),
});
