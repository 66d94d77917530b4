import type { FoldState } from '../definition/fold.ts';

/** A state as snapshots keep it: the shape XState's getPersistedSnapshot() gives, so either can be read back. */
export function persisted(state: FoldState): { status: 'active'; value: unknown; historyValue: object; context: unknown; children: object } {
  return { status: 'active', value: state.value, historyValue: {}, context: state.context, children: {} };
}
