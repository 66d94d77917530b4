// The built-in world's commands moved to src/world/commands.ts; this re-export keeps older imports working until
// every branch imports from there (then delete it).
export * from '../world/commands.ts';
