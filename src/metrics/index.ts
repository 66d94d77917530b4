export { createMetrics, declareCommandLabels, metricNames, type Metrics } from './metrics.ts';
