import { randomUUID } from 'node:crypto';
import { redactSecrets } from '../../domain/redact.ts';
import { verifyStore } from '../../eventStore/integrity.ts';
import { pick, resolveThing, thingsIn, view } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';
import { direction, opposite } from './words.ts';

async function historyOrAt(ctx: VerbContext, at: boolean): Promise<void> {
  const { words, rest, m } = ctx;
  const [target = '', version] = at ? [words.slice(0, -1).join(' '), words.at(-1)] : [rest, undefined];
  const id = await resolveThing(ctx, target);
  if (!id) return ctx.notFound(`Nothing called ${target} here (try here, me, a player's name, an item here, or an id such as room:square).`);
  if (at) {
    const state = await m.runtime.stateAt(id, { version: Number(version) });
    return ctx.reply(state ? JSON.stringify(redactSecrets(state), null, 2) : `${id} did not exist at version ${version}.`);
  }
  const events = await m.runtime.history(id);
  ctx.reply(
    [`History of ${id}:`, ...events.map((e) => `  v${e.version} ${e.type} by ${e.metadata.actorId ?? '-'} at ${e.occurredAt}\n      ${JSON.stringify(redactSecrets(e.data))}`)].join('\n'),
  );
}

export const buildingVerbs: readonly Verb[] = [
  {
    name: '@dig',
    who: 'builder',
    usage: '@dig <direction> <room name>',
    help: 'Makes a new room that way, with exits both ways.',
    async run(ctx) {
      const [raw = '', ...name] = ctx.words;
      const way = direction(raw);
      if (!way || name.length === 0) return ctx.reply('Usage: @dig <direction> <room name>');
      const id = await ctx.m.createRoom({ name: name.join(' '), description: 'An unfinished place.' });
      await ctx.m.digExit(ctx.here, way, id, opposite(way) ?? 'back');
      ctx.reply(`You dig ${way} to ${name.join(' ')} (${id}).`);
    },
  },
  {
    name: '@describe',
    who: 'builder',
    usage: '@describe <text>',
    help: "Sets this room's description.",
    async run(ctx) {
      if (!ctx.rest) return ctx.reply('Usage: @describe <text>');
      await ctx.m.describeRoom(ctx.here, ctx.rest);
      ctx.reply('The room is described anew.');
    },
  },
  {
    name: '@mobile',
    who: 'builder',
    usage: '@mobile <name> [every=<seconds>]',
    help: 'Makes a creature here that wanders between this room and its neighbours, one step every 30 seconds (or every=<seconds>, at least 1).',
    async run(ctx) {
      const every = /\s+every=(\d+)$/i.exec(ctx.rest);
      const name = (every ? ctx.rest.slice(0, every.index) : ctx.rest).trim();
      if (!name) return ctx.reply('Usage: @mobile <name> [every=<seconds>]');
      const neighbours = Object.values((await view(ctx.world)).exitsOf(ctx.here));
      const route = [ctx.here, ...neighbours.flatMap((room) => [room, ctx.here])].slice(0, 64);
      const id = `mob:${randomUUID()}`;
      const wanderEveryMs = Math.max(1, Number(every?.[1] ?? 30)) * 1000;
      await ctx.m.runtime.execute({ type: 'CreateMobile', id, name, roomId: ctx.here, stats: { hp: 10, attack: 1 }, route, wanderEveryMs });
      ctx.reply(`You conjure ${name} (${id}).`);
    },
  },
  {
    name: '@create',
    who: 'builder',
    usage: '@create <name> [key=value ...]',
    help: 'Makes a new item in your hands. slot=head makes it wearable on the head, wieldable=1 a weapon, container=1 a container (then @set it description ...).',
    async run(ctx) {
      const attributes: Record<string, string | number> = {};
      const name = ctx.words
        .filter((w) => {
          const [k, v] = w.split('=');
          if (!k || v === undefined || !/^[a-z_]+$/i.test(k)) return true;
          attributes[k] = /^-?\d+$/.test(v) ? Number(v) : v;
          return false;
        })
        .join(' ');
      if (!name) return ctx.reply('Usage: @create <name> [key=value ...]');
      const id = await ctx.m.createObject({ name, generic: 'item', heldBy: ctx.me, attributes });
      ctx.reply(`You create ${name} (${id}).`);
    },
  },
  {
    name: '@destroy',
    who: 'builder',
    usage: '@destroy <item>',
    help: 'Destroys an item in your hands or in this room.',
    async run(ctx) {
      const read = await view(ctx.world);
      const item = pick(thingsIn(read, ctx.me), ctx.rest) ?? pick(thingsIn(read, ctx.here), ctx.rest);
      if (!item) return ctx.notFound(`No ${ctx.rest} here or in your hands.`);
      await ctx.m.deleteObject(item.id);
      ctx.reply(`${item.name} is no more.`);
    },
  },
  {
    name: '@set',
    who: 'builder',
    usage: '@set <item> <key> <value>',
    help: 'Sets an attribute of an item here or in your hands: @set sword description A notched old blade. Numbers stay numbers.',
    async run(ctx) {
      const [name = '', key = '', ...value] = ctx.words;
      if (!name || !/^[a-z_]+$/i.test(key) || value.length === 0) return ctx.reply('Usage: @set <item> <key> <value>');
      const read = await view(ctx.world);
      const item = pick(thingsIn(read, ctx.me), name) ?? pick(thingsIn(read, ctx.here), name);
      if (!item) return ctx.notFound(`No ${name} here or in your hands.`);
      const text = value.join(' ');
      await ctx.m.setAttribute(item.id, key, /^-?\d+$/.test(text) ? Number(text) : text);
      ctx.reply(`${item.name}: ${key} set.`);
    },
  },
  { name: '@history', who: 'builder', usage: '@history <thing>', help: 'Every event of a thing (here, me, a player, an item, or an id).', run: (ctx) => historyOrAt(ctx, false) },
  { name: '@at', who: 'builder', usage: '@at <thing> <version>', help: 'What a thing was at one version of its history.', run: (ctx) => historyOrAt(ctx, true) },
  {
    name: '@stats',
    who: 'builder',
    usage: '@stats',
    help: 'Counts of events, aggregates, snapshots, live actors and sessions; on a cluster, its members, this node and who runs the read-side singleton.',
    async run(ctx) {
      const stats = await ctx.m.runtime.stats();
      const cluster = (await ctx.world.cluster()) ?? [];
      ctx.reply([`events ${stats.eventCount}, aggregates ${stats.aggregateCount}, snapshots ${stats.snapshotCount}, live actors ${stats.liveActors}, sessions ${ctx.world.connections}`, ...cluster].join('\n'));
    },
  },
  {
    name: '@verify',
    who: 'builder',
    usage: '@verify',
    help: "Checks the store's hash chain.",
    async run(ctx) {
      const report = await verifyStore(ctx.m.runtime.store);
      const p = report.firstProblem;
      ctx.reply(report.ok ? `Verified ${report.eventsChecked} events in ${report.streamsChecked} streams: intact.` : `TAMPERED: ${report.problems.length + report.moreProblems} problem(s); the first: ${p?.problem} event at position ${p?.position} (${p?.streamId} v${p?.version}).`);
    },
  },
  {
    name: '@rebuild',
    who: 'builder',
    usage: '@rebuild',
    help: 'Replays every aggregate against the live state, and rebuilds the read model.',
    async run(ctx) {
      const world = await ctx.m.runtime.rebuildWorldState();
      const read = await ctx.world.projections.rebuild();
      ctx.reply(`Replayed ${world.aggregates} aggregates: ${world.divergent.length} divergent. Read model rebuilt from ${read.events} events.`);
    },
  },
];
