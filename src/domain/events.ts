// The built-in world's events moved to src/world/events.ts; this re-export keeps older imports working until
// every branch imports from there (then delete it).
export * from '../world/events.ts';
