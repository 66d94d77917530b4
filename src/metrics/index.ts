export { createMetrics, metricNames, type Metrics } from './metrics.ts';
