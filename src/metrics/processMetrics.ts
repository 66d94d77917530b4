import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/** prom-client's default gauges whose names end in `_total`, which Prometheus reserves for counters. */
const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/**
 * prom-client's default process and Node.js metrics, made to pass `promtool check metrics`: the three
 * `nodejs_active_*_total` gauges are served as `nodejs_active_*_all_types` instead (same values).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED) {
    const original = registry.getSingleMetric(name);
    if (!original) continue;
    registry.removeSingleMetric(name);
    new Gauge({
      name: name.replace(/_total$/, '_all_types'),
      help: `${name.replace(/^nodejs_active_/, 'Active ').replace(/_total$/, '')}, all types together`,
      registers: [registry],
      async collect() {
        const value = (await original.get()).values[0]?.value ?? 0;
        this.set(value);
      },
    });
  }
}
