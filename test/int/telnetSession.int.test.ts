import { createServer, type AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { Session } from '../../src/game/server/Session.ts';
import { formatForClient } from '../../src/game/verbs/output.ts';
import { AYT, DO, GA, IAC, IP, OPT, SB, SE, WILL } from '../../src/game/telnet/protocol.ts';
import { gameHarness } from '../support/gameHarness.ts';

/** Issue 11, item 4 and the telnet section, over a real socket: prompts, notices, NAWS, IAC commands. */
const games = gameHarness();

it('prompts end in GA, notices take a fresh line (no bare CR) and redraw the prompt, overlong lines get a prompt back', async () => {
  const game = await games.start();
  const ann = await games.client(game);
  await ann.login('Ann', 'ann-password', true);
  await expect.poll(() => ann.raw.includes(Buffer.from([...Buffer.from('> '), IAC, GA]))).toBe(true);
  const bob = await games.client(game);
  await bob.login('Bob', 'bob-password', true);
  await ann.expect(/Bob appears\.\r\n> /);
  await expect.poll(() => ann.raw.subarray(-2).equals(Buffer.from([IAC, GA]))).toBe(true);
  await ann.ask('color off', /Colours are off\.\r\n> /); // the bytes below without the game's ANSI colours
  await expect.poll(() => ann.raw.subarray(-2).equals(Buffer.from([IAC, GA]))).toBe(true);
  const before = ann.raw.length;
  bob.send('say hi');
  await ann.expect(/Bob says, "hi"\r\n> /);
  const notice = ann.raw.subarray(before).toString('latin1');
  expect(notice).toBe('\r\nBob says, "hi"\r\n> \u00ff\u00f9'); // Ann sat at her prompt: a fresh line, then the prompt again

  ann.send('x'.repeat(5000));
  await ann.expect(/too long[^\n]*\r\n> /);
});

it('answers DO TIMING-MARK after IAC IP and AYT with [Yes], and keeps serving', async () => {
  const game = await games.start();
  const c = await games.client(game);
  await c.login('Cyd', 'cyd-password', true);
  c.send(Buffer.from([IAC, IP, IAC, DO, OPT.TIMING_MARK]));
  await c.expect('> ');
  await expect.poll(() => c.raw.includes(Buffer.from([IAC, WILL, OPT.TIMING_MARK]))).toBe(true);
  c.send(Buffer.from([IAC, AYT]));
  await c.expect('[Yes]');
  expect(await c.ask('say on', 'You say, "on"')).toBeTruthy();
});

it('a session learns the window width from NAWS and wraps prose to it', async () => {
  const sessions: Session[] = [];
  const server = createServer((socket) => sessions.push(new Session(socket, { maxLineBytes: 512, burst: 5, perSecond: 5, maxOutputBytes: 65_536 }, async () => undefined)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const c = await games.client((server.address() as AddressInfo).port);
  c.send(Buffer.from([IAC, WILL, OPT.NAWS, IAC, SB, OPT.NAWS, 0, 30, 0, 24, IAC, SE]));
  await expect.poll(() => sessions[0]?.width).toBe(30);
  const session = sessions[0] as Session;
  session.send(formatForClient('Cobbles ring a dry fountain. Lanes lead off in every direction, and the wind smells of rain.', session.width, false));
  const text = await c.expect('rain.\r\n');
  expect(text.slice(text.indexOf('Cobbles')).split('\r\n')).toEqual(['Cobbles ring a dry fountain.', 'Lanes lead off in every', 'direction, and the wind smells', 'of rain.', '']);
  c.close();
  await new Promise((resolve) => server.close(resolve));
});
