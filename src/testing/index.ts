/** Test helpers, kept out of the public entry: import from 'aethyr-runtime/testing'. */
export { InMemoryEventStore } from '../eventStore/memory/InMemoryEventStore.ts';
export { SimulatedClock } from './SimulatedClock.ts';
export { givenFor, type Then } from './given.ts';
