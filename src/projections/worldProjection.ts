// The world's projection moved to src/world/projection.ts (a projection its kinds bring); this keeps
// older imports working.
export { worldProjection, worldReadModel, WORLD_TABLES, type ApplyEvent, type WorldTable } from '../world/projection.ts';
