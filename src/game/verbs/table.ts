import { buildingVerbs } from './building.ts';
import { itemVerbs } from './items.ts';
import { lookingVerbs } from './looking.ts';
import { movementVerbs } from './movement.ts';
import { systemVerbs } from './system.ts';
import { talkVerbs } from './talk.ts';
import { tradeVerbs } from './trade.ts';
import type { Verb } from './types.ts';

const helpVerb: Verb = {
  name: 'help',
  aliases: ['?'],
  who: 'player',
  usage: 'help [topic]',
  help: 'Lists the commands; help <command> tells more about one.',
  async run(ctx) {
    ctx.reply(helpText(ctx.rest, ctx.session.admin));
  },
};

/** The verb groups, in the order `help` lists them. */
const groups: readonly { readonly title: string; readonly verbs: readonly Verb[] }[] = [
  { title: 'Looking', verbs: lookingVerbs },
  { title: 'Moving', verbs: movementVerbs },
  { title: 'Things', verbs: itemVerbs },
  { title: 'Talking', verbs: talkVerbs },
  { title: 'Creatures and shops', verbs: tradeVerbs },
  { title: 'Other', verbs: [helpVerb, ...systemVerbs] },
  { title: 'Building', verbs: buildingVerbs },
];

/** Every verb and alias, by the word a player types (a Map: player text never reaches a prototype). */
const byWord = new Map<string, Verb>();
for (const { verbs } of groups) {
  for (const verb of verbs) {
    for (const word of [verb.name, ...(verb.aliases ?? [])]) {
      if (byWord.has(word)) throw new Error(`verb table: "${word}" is claimed twice`);
      byWord.set(word, verb);
    }
  }
}

/** The verb a typed word names (name or alias), if this player may use it. */
export function findVerb(word: string, builder: boolean): Verb | undefined {
  const verb = byWord.get(word.toLowerCase());
  return verb && (verb.who === 'player' || builder) ? verb : undefined;
}

/** `help` (every verb this player may use, by group) or `help <topic>` (one verb). */
export function helpText(topic: string, builder: boolean): string {
  const wanted = topic.trim().toLowerCase();
  if (wanted) {
    const verb = findVerb(wanted, builder) ?? findVerb(`@${wanted}`, builder);
    if (!verb) return `No help on "${topic.trim()}". Type help for a list of commands.`;
    const aliases = verb.aliases?.length ? `\nAlso: ${verb.aliases.join(', ')}` : '';
    return `${verb.usage}\n${verb.help}${aliases}`;
  }
  const sections = groups
    .map(({ title, verbs }) => ({ title, verbs: verbs.filter((v) => v.who === 'player' || builder) }))
    .filter(({ verbs }) => verbs.length > 0)
    .map(({ title, verbs }) => `${title}: ${verbs.map((v) => v.name).join(', ')}`);
  return `Commands (help <command> for more):\n${sections.join('\n')}`;
}
