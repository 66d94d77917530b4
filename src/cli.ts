#!/usr/bin/env node
import { describe } from './errors.ts';
import { runCli } from './cli/main.ts';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runCli answers every failure itself; this is the last guard: still one line, never a stack trace.
    console.error(`error: ${describe(error).split('\n')[0]}`);
    process.exitCode = 1;
  },
);
