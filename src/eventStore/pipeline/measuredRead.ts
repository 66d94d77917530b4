import type { Metrics } from '../../metrics/metrics.ts';

/** Every read of events, in every store: timed, counted, and failures (a row that does not decode) counted. */
export async function measuredRead<T>(metrics: Metrics, query: () => T[] | Promise<T[]>): Promise<T[]> {
  const end = metrics.readDuration.startTimer();
  try {
    const events = await query();
    metrics.eventsLoaded.inc(events.length);
    return events;
  } catch (error) {
    metrics.loadFailures.inc();
    throw error;
  } finally {
    end();
  }
}
