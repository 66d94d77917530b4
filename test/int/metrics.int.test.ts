import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { metricNames } from '../../src/metrics/metrics.ts';
import { gameHarness } from '../support/gameHarness.ts';

const h = gameHarness();

describe('/metrics of a live server', () => {
  it('passes promtool check metrics, and counts verbs, unknown verbs, not-found and rate-limited commands as such', async () => {
    const config = h.worldConfig();
    const game = await h.start(h.withServer({ commandBurst: 10, commandsPerSecond: 1 }, config));
    const c = await h.client(game);
    await c.login('Ann', 'anns-password', true);
    await c.ask('l', 'Town Square'); // an alias, counted under its verb
    await c.ask('frobnicate', 'is not a command');
    await c.ask('get unicorn', 'You see no unicorn here.');
    c.send(Array.from({ length: 20 }, () => 'who').join('\r\n'));
    await c.expect('Slow down');

    const text = await (await fetch(`http://127.0.0.1:${game.metrics.port}/metrics`)).text();
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(promtool.error, 'promtool must be installed (.ci/run installs it)').toBeUndefined();
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    expect(promtool.status).toBe(0);

    expect(text).toMatch(/aethyr_game_commands_total\{verb="look",outcome="ok"\} 1/);
    expect(text).not.toMatch(/verb="l"/);
    expect(text).toMatch(/aethyr_game_commands_total\{verb="unknown",outcome="unknown_verb"\} 1/);
    expect(text).toMatch(/aethyr_game_commands_total\{verb="get",outcome="not_found"\} 1/);
    expect(text).toMatch(/aethyr_game_commands_total\{verb="unread",outcome="rate_limited"\} [1-9]/);
    expect(text).toMatch(/^nodejs_active_handles_all_types \d+/m);
    // The server-under-abuse counters are exposed (and promtool-clean) before anything has happened.
    for (const name of [metricNames.gameOutputDropped, metricNames.gameLoginsSlowed, metricNames.gameDisconnects, metricNames.gameConnectionsRefused]) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
  });
});
