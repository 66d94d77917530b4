// The built-in world's schemas moved to src/world/schemas.ts; this re-export keeps older imports working until
// every branch imports from there (then delete it).
export * from '../world/schemas.ts';
