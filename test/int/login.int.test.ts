import { describe, expect, it } from 'vitest';
import { gameHarness } from '../support/gameHarness.ts';

const h = gameHarness();

describe('logging in', () => {
  it('empty lines re-prompt at every step; a taken name is said before any password is asked', async () => {
    const game = await h.start(h.worldConfig());
    const ann = await h.client(game);
    await ann.login('Ann', 'anns-password', true);
    const c = await h.client(game);
    await c.expect('By what name');
    await c.ask('', 'By what name shall you be known? ');
    await c.ask('ann', 'Ann is taken. If that is you, type your password');
    await c.ask('', 'By what name shall you be known? '); // an empty password line: back to choosing a name
    await c.ask('Bea', 'Choose a password');
    await c.ask('', 'Choose a password (6+ characters): ');
    await c.ask('beas-password', 'Repeat it');
    await c.ask('', 'Repeat it: ');
    await c.ask('beas-password', 'Welcome, Bea.');
  });

  it('names beyond ASCII are normalised; mixed scripts and look-alikes of a taken name are refused', async () => {
    const game = await h.start(h.worldConfig());
    const c = await h.client(game);
    await c.expect('By what name');
    await c.ask('Zoe\u0308', 'A new character, Zo\u00eb.'); // decomposed ë arrives composed (NFKC)
    await c.ask('zoes-password', 'Repeat it');
    await c.ask('zoes-password', 'Welcome, Zo\u00eb.');
    const d = await h.client(game);
    await d.login('本田', 'hondas-password', true);
    const e = await h.client(game);
    await e.login('Ace', 'aces-password', true);

    const f = await h.client(game);
    await f.expect('By what name');
    await f.ask('\u0410nn', 'A name uses one alphabet, not several (Cyrillic and Latin).'); // Cyrillic А + Latin nn
    await f.ask('\u0410\u0441\u0435', 'That name is taken: it looks too much like Ace.'); // all Cyrillic "Асе"
    // A bidi override is stripped where text enters (sanitizeText), so this is plain Ace, taken.
    await f.ask('A\u202Ece', 'Ace is taken.');
    await f.ask('', 'By what name shall you be known? ');
    await f.ask('Zo\u00cb', 'Zoë is taken'); // case folds too
  });

  it('failures lock the failing address, never the player: the owner still gets in from elsewhere', async () => {
    const game = await h.start(h.withServer({ loginSlowdownBaseMs: 50 })); // the per-name slowdown, short
    const dee = await h.client(game);
    await dee.login('Dee', 'dees-password', true);
    dee.close();
    const stranger = await h.client(game, '127.0.0.2');
    await stranger.expect('By what name');
    for (let i = 0; i < 5; i++) {
      await stranger.ask('Dee', 'Password:');
      await stranger.ask(`guess-${i}`, 'Wrong password.');
    }
    await stranger.ask('Dee', 'Too many failed logins from your address.');
    await expect.poll(() => stranger.closed).toBe(true);
    const again = await h.client(game, '127.0.0.2');
    await again.ask('Eve', 'Too many failed logins from your address.'); // the address, whatever the name

    const owner = await h.client(game);
    expect(await owner.login('Dee', 'dees-password', false)).toContain('Town Square');
  }, 30_000);
});
