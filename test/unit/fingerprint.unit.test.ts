import { assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { machineFingerprint } from '../../src/definition/fingerprint.ts';

type Ctx = { n: number };
const build = (options: { step?: number; guard?: number; target?: 'a' | 'b' } = {}) => {
  const { step = 1, guard = 2, target = 'b' } = options;
  return setup({
    types: { context: {} as Ctx, input: {} as { id: string } },
    guards: { big: guard === 2 ? ({ context }) => context.n >= 2 : ({ context }) => context.n >= 3 },
    actions: { inc: step === 1 ? assign({ n: ({ context }) => context.n + 1 }) : assign({ n: ({ context }) => context.n + 2 }) },
  }).createMachine({ id: 'm', initial: 'a', context: { n: 0 }, states: { a: { on: { INC: [{ guard: 'big', target }, { actions: 'inc' }] } }, b: {} } });
};

describe('machine fingerprints', () => {
  it('are stable for the same machine and change with an action, a guard or a transition', () => {
    const base = machineFingerprint(build());
    expect(machineFingerprint(build())).toBe(base);
    expect(Number.isSafeInteger(base)).toBe(true);
    expect(machineFingerprint(build({ step: 2 }))).not.toBe(base);
    expect(machineFingerprint(build({ guard: 3 }))).not.toBe(base);
    expect(machineFingerprint(build({ target: 'a' }))).not.toBe(base);
  });
  it('ignore what transpilers change without changing meaning (whitespace, comments, import rewriting)', () => {
    const withSource = (source: string) =>
      machineFingerprint(
        setup({ types: { context: {} as Ctx, input: {} as { id: string } }, actions: { inc: Object.assign(assign({ n: () => 1 }), { fingerprintSource: source }) as never } }).createMachine({
          id: 'm',
          initial: 'a',
          context: { n: 0 },
          states: { a: { on: { INC: { actions: 'inc' } } } },
        }),
      );
    const vite = withSource('(state) => {\n  // add one\n  return (0, __vite_ssr_import_1__.step)(state);\n}');
    const esbuildCjs = withSource('state=>{return(0,import_reducers.step)(state)}');
    const esm = withSource('state => { return step(state); }');
    expect(vite).toBe(esm);
    expect(esbuildCjs).toBe(esm);
    expect(withSource('state => { return stop(state); }')).not.toBe(esm);
  });
});
