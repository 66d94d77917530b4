import { describe, expect, it } from 'vitest';
import { LineDiscipline } from '../../src/game/telnet/LineDiscipline.ts';
import { AYT, BRK, DO, DONT, EC, EL, EOR_MARK, GA, IAC, IP, OPT, SB, SE, TelnetProtocol, WILL, WONT, type TelnetEvent } from '../../src/game/telnet/protocol.ts';
import { sanitizeText } from '../../src/game/telnet/sanitize.ts';
import { displayWidth, wrapText } from '../../src/game/telnet/wrap.ts';

/** A protocol with everything it sends collected, as byte arrays. */
function peer(start = false): { telnet: TelnetProtocol; sent: number[][]; take: () => number[][] } {
  const sent: number[][] = [];
  const telnet = new TelnetProtocol((bytes) => sent.push([...bytes]));
  if (start) telnet.start();
  return { telnet, sent, take: () => sent.splice(0) };
}
const bytes = (...b: number[]) => Buffer.from(b);

describe('telnet negotiation (RFC 854 / 1143), byte by byte', () => {
  it('asks for BINARY input, offers EOR, asks for NAWS and TTYPE on connect', () => {
    const { take } = peer(true);
    expect(take()).toEqual([
      [IAC, DO, OPT.BINARY],
      [IAC, WILL, OPT.EOR],
      [IAC, DO, OPT.NAWS],
      [IAC, DO, OPT.TTYPE],
    ]);
  });

  it('answers DO TIMING-MARK with WILL TIMING-MARK every time (Ctrl-C in Debian telnet waits for it)', () => {
    const { telnet, take } = peer();
    const events = telnet.receive(bytes(IAC, IP, IAC, DO, OPT.TIMING_MARK));
    expect(events).toEqual([{ type: 'command', command: 'IP' }]);
    expect(take()).toEqual([[IAC, WILL, OPT.TIMING_MARK]]);
    telnet.receive(bytes(IAC, DO, OPT.TIMING_MARK));
    expect(take()).toEqual([[IAC, WILL, OPT.TIMING_MARK]]);
    telnet.receive(bytes(IAC, WILL, OPT.TIMING_MARK));
    expect(take()).toEqual([[IAC, DONT, OPT.TIMING_MARK]]);
  });

  it('refuses every option it does not support, on both sides, and never answers a refusal', () => {
    const { telnet, take } = peer();
    for (const option of [5, 24 + 10, 34, 39, 200, 255]) {
      telnet.receive(bytes(IAC, DO, option));
      expect(take()).toEqual([[IAC, WONT, option]]);
      telnet.receive(bytes(IAC, WILL, option));
      expect(take()).toEqual([[IAC, DONT, option]]);
      telnet.receive(bytes(IAC, DONT, option, IAC, WONT, option));
      expect(take()).toEqual([]); // already off: silence is the answer (no loop)
    }
    telnet.receive(bytes(IAC, DO, OPT.ECHO)); // we echo only when we ask to (passwords)
    expect(take()).toEqual([[IAC, WONT, OPT.ECHO]]);
    telnet.receive(bytes(IAC, WILL, OPT.ECHO)); // a client that wants to echo for us: no
    expect(take()).toEqual([[IAC, DONT, OPT.ECHO]]);
  });

  it('agrees to supported requests once, and a repeated request gets no second answer', () => {
    const { telnet, take } = peer();
    telnet.receive(bytes(IAC, DO, OPT.SGA));
    expect(take()).toEqual([[IAC, WILL, OPT.SGA]]);
    telnet.receive(bytes(IAC, DO, OPT.SGA));
    expect(take()).toEqual([]);
    telnet.receive(bytes(IAC, DONT, OPT.SGA));
    expect(take()).toEqual([[IAC, WONT, OPT.SGA]]);
    expect(telnet.enabled('local', OPT.SGA)).toBe(false);
  });

  it('our offers settle on the answer without replying to it; a refusal turns the option off', () => {
    const { telnet, take } = peer(true);
    take();
    telnet.receive(bytes(IAC, WILL, OPT.BINARY, IAC, DONT, OPT.EOR, IAC, WILL, OPT.NAWS, IAC, WONT, OPT.TTYPE));
    expect(take()).toEqual([]);
    expect(telnet.enabled('remote', OPT.BINARY)).toBe(true);
    telnet.receive(bytes(IAC, DO, OPT.BINARY)); // binary output, asked for by the client: agreed
    expect(take()).toEqual([[IAC, WILL, OPT.BINARY]]);
    expect(telnet.enabled('local', OPT.EOR)).toBe(false);
    expect(telnet.enabled('remote', OPT.NAWS)).toBe(true);
  });

  it('two of our servers talking to each other settle without a loop', () => {
    let a: TelnetProtocol | undefined;
    let b: TelnetProtocol | undefined;
    let messages = 0;
    a = new TelnetProtocol((x) => {
      messages++;
      if (messages < 100) b?.receive(x);
    });
    b = new TelnetProtocol((x) => {
      messages++;
      if (messages < 100) a?.receive(x);
    });
    a.start();
    b.start();
    expect(messages).toBeLessThan(40);
    expect(a.enabled('local', OPT.BINARY) && a.enabled('remote', OPT.BINARY)).toBe(true); // each offered, the other agreed
  });

  it('password echo: WILL ECHO, then WONT ECHO, even when the client never answers', () => {
    const { telnet, take } = peer();
    telnet.request('local', OPT.ECHO, true);
    telnet.request('local', OPT.ECHO, true);
    expect(take()).toEqual([[IAC, WILL, OPT.ECHO]]);
    telnet.request('local', OPT.ECHO, false);
    expect(take()).toEqual([[IAC, WONT, OPT.ECHO]]);
    telnet.receive(bytes(IAC, DO, OPT.ECHO)); // the late answer to WILL: no stays no, nothing sent
    expect(take()).toEqual([]);
    expect(telnet.enabled('local', OPT.ECHO)).toBe(false);
  });

  it('reads NAWS (with an escaped 255) and TTYPE, asking for the type once TTYPE is agreed', () => {
    const { telnet, take } = peer(true);
    take();
    telnet.receive(bytes(IAC, WILL, OPT.NAWS, IAC, WILL, OPT.TTYPE));
    expect(take()).toEqual([[IAC, SB, OPT.TTYPE, 1, IAC, SE]]);
    const events = telnet.receive(Buffer.concat([bytes(IAC, SB, OPT.NAWS, 0, IAC, IAC, 0, 40, IAC, SE), bytes(IAC, SB, OPT.TTYPE, 0), Buffer.from('XTERM-256COLOR'), bytes(IAC, SE)]));
    expect(events).toEqual([
      { type: 'size', width: 255, height: 40 },
      { type: 'terminal', name: 'XTERM-256COLOR' },
    ]);
  });

  it('keeps data around commands, split anywhere across chunks, and undoes IAC IAC', () => {
    const { telnet } = peer();
    const stream = Buffer.concat([Buffer.from('l'), bytes(IAC, AYT), Buffer.from('o'), bytes(IAC, IAC), Buffer.from('k'), bytes(IAC, EC, IAC, EL, IAC, BRK, IAC, GA, IAC, EOR_MARK)]);
    for (let split = 0; split <= stream.length; split++) {
      const events: TelnetEvent[] = [...telnet.receive(stream.subarray(0, split)), ...telnet.receive(stream.subarray(split))];
      const data = Buffer.concat(events.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])));
      expect([...data]).toEqual([...Buffer.from('lo'), IAC, ...Buffer.from('k')]);
      expect(events.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.command : ''))).toEqual(['AYT', 'EC', 'EL', 'BRK']);
    }
  });

  it('drops an endless subnegotiation without keeping it', () => {
    const { telnet } = peer();
    expect(telnet.receive(Buffer.concat([bytes(IAC, SB, OPT.NAWS), Buffer.alloc(10_000, 7), bytes(IAC, SE), Buffer.from('ok')]))).toEqual([{ type: 'data', bytes: Buffer.from('ok') }]);
  });

  it('prompts end with EOR when agreed, GA otherwise, nothing when go-ahead is suppressed', () => {
    const { telnet } = peer(true);
    expect([...telnet.promptEnd()]).toEqual([IAC, GA]);
    telnet.receive(bytes(IAC, DO, OPT.EOR));
    expect([...telnet.promptEnd()]).toEqual([IAC, EOR_MARK]);
    const plain = peer();
    plain.telnet.receive(bytes(IAC, DO, OPT.SGA));
    expect([...plain.telnet.promptEnd()]).toEqual([]);
  });

  it('escapes 255 in output', () => {
    expect([...TelnetProtocol.encode(bytes(1, IAC, 2))]).toEqual([1, IAC, IAC, 2]);
    expect(TelnetProtocol.encode('本ü').toString('utf8')).toBe('本ü');
  });
});

describe('line discipline', () => {
  it('keeps UTF-8 intact when a character is split across TCP chunks', () => {
    const line = Buffer.from('say 本 ü\r\n');
    for (let split = 0; split <= line.length; split++) {
      const lines = new LineDiscipline(512);
      expect([...lines.push(line.subarray(0, split)), ...lines.push(line.subarray(split))]).toEqual([{ line: 'say 本 ü' }]);
    }
  });

  it('ends lines at CR LF, CR NUL, bare CR or bare LF, once each', () => {
    const lines = new LineDiscipline(512);
    expect(lines.push(Buffer.from('a\r\nb\r\0c\rd\ne\n'))).toEqual([{ line: 'a' }, { line: 'b' }, { line: 'c' }, { line: 'd' }, { line: 'e' }]);
  });

  it('erases a whole character (EC, backspace) or the line (EL, Ctrl-U)', () => {
    const lines = new LineDiscipline(512);
    lines.push(Buffer.from('say 本本'));
    lines.eraseCharacter();
    expect(lines.push(Buffer.from('\x7fü\r\n'))).toEqual([{ line: 'say ü' }]);
    lines.push(Buffer.from('junk'));
    lines.eraseLine();
    expect(lines.push(Buffer.from('look\x15who\r\n'))).toEqual([{ line: 'who' }]);
  });

  it('discards an overlong line once, and the next line is fine', () => {
    const lines = new LineDiscipline(8);
    expect(lines.push(Buffer.from('0123456789abcdef\r\nok\r\n'))).toEqual([{ overlong: true }, { line: 'ok' }]);
  });
});

describe('sanitizeText: nothing a player sends can drive another terminal', () => {
  it('strips C0, DEL, C1 (incl. U+0085 and OSC), line/paragraph separators and bidi controls', () => {
    const hostile = 'a\x1b[2Jb\x07c\x7fd\u009d0;evil\u009ce\u0085f\u2028g\u2029h\u202ei\u202aj\u2066k\u2069l';
    expect(sanitizeText(hostile)).toBe('a[2Jbcd0;evilefghijkl');
    expect(sanitizeText('tab\there, 本 ü é')).toBe('tab here, 本 ü é');
  });
});

describe('wrapText: output fits the client window (NAWS width, 80 by default)', () => {
  const text = 'Cobbles ring a dry fountain. Lanes lead off in every direction, and the wind smells of rain. '.repeat(3).trim();
  it('wraps at word boundaries, keeps indentation, cuts a word longer than the line, and is idempotent', () => {
    const wrapped = wrapText(text, 30);
    for (const line of wrapped.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(30);
    expect(wrapped.replace(/\n/g, ' ')).toBe(text);
    expect(wrapText(wrapped, 30)).toBe(wrapped);
    expect(wrapText(`  ${'x'.repeat(40)}`, 20).split('\n')).toEqual([`  ${'x'.repeat(18)}`, `  ${'x'.repeat(18)}`, `  ${'x'.repeat(4)}`]);
  });

  it('counts wide characters as two columns and colour codes as none', () => {
    expect(displayWidth('本a\u001b[31mb\u001b[0m')).toBe(4);
    expect(wrapText('本'.repeat(15), 20).split('\n')).toEqual(['本'.repeat(10), '本'.repeat(5)]);
  });
});
