// The built-in world's state moved to src/world/state.ts; this re-export keeps older imports working until
// every branch imports from there (then delete it).
export * from '../world/state.ts';
