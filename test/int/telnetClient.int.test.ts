import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { gameHarness } from '../support/gameHarness.ts';

/**
 * Issue 11: the real Debian `telnet` client, driven in tmux, against a real server. Before, one Ctrl-C
 * (IAC IP + IAC DO TIMING-MARK) or one 本 (whose 0x9C byte the client turned into IAC BRK + DO
 * TIMING-MARK) froze the client for good, because the server never answered the timing mark.
 */
const run = promisify(execFile);
const games = gameHarness();
const tmuxSocket = `aethyr-test-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', tmuxSocket, ...args]);
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

/** Polls the pane until `pattern` shows, or fails with what the screen showed at the deadline. */
async function screen(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await tmux('capture-pane', '-p', '-t', 'player')).stdout;
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the telnet screen never showed ${String(pattern)}; it shows:\n${text}`);
}
const keys = (...k: string[]) => tmux('send-keys', '-t', 'player', ...k);

it('Debian telnet in tmux: log in, type 本 and ü, press Ctrl-C, and output keeps arriving intact', async () => {
  for (const tool of ['telnet', 'tmux']) {
    // .ci/run installs both; without them this test cannot prove anything, so it fails rather than skips.
    expect(() => execFileSync('sh', ['-c', `command -v ${tool}`]), `${tool} is not installed (apt-get install ${tool})`).not.toThrow();
  }
  const game = await games.start();
  await tmux('new-session', '-d', '-s', 'player', '-x', '100', '-y', '40', `telnet 127.0.0.1 ${game.game.port}`, ';', 'set-option', '-t', 'player', 'remain-on-exit', 'on');
  await screen(/By what name shall you be known\?/);
  await keys('Una', 'Enter');
  await screen(/Choose a password/);
  await keys('una-secret', 'Enter');
  await screen(/Repeat it:/);
  await keys('una-secret', 'Enter');
  await screen(/Welcome, Una\.[\s\S]*^> ?$/m);

  // Another player in the room sees Una's text intact.
  const vic = await games.client(game);
  await vic.login('Vic', 'vic-secret', true);
  await keys('say 本 ü', 'Enter');
  expect(await screen(/^You say, "本 ü"$/m)).not.toContain('una-secret');
  await vic.expect('Una says, "本 ü"');

  // Ctrl-C: the client sends IAC IP, IAC DO TIMING-MARK and discards output until it is answered.
  await keys('C-c');
  await keys('say still here', 'Enter');
  await screen(/^You say, "still here"$/m);

  // A notice while Una sits at her prompt lands on a line of its own, and the prompt is drawn again.
  vic.send('say hello Una');
  const shown = await screen(/^Vic says, "hello Una"$\n^> ?$/m);
  expect(shown).not.toMatch(/> Vic says/);
  await keys('quit', 'Enter');
  await screen(/Goodbye\.[\s\S]*Connection closed by foreign host/);
}, 60_000);
