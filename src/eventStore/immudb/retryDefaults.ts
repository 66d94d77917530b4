/**
 * Retry defaults for transient ImmuDB failures, defined once (the config file's defaults use these).
 * With equal jitter each wait is at least half its backoff, so 12 attempts wait at least ~7.5 s and at
 * most ~15 s in all: enough to ride through a server restart of a few seconds (an ImmuDB restart took
 * about 1-3 s here; see the README), and still bounded.
 */
export const RETRY_DEFAULTS = { attempts: 12, baseDelayMs: 100, maxDelayMs: 2000 } as const;
