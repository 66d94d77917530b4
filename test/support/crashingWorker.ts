/** A worker for the pool-recovery test: dies outright on 'die', answers otherwise. */
export default function run(task: { kind: string }): unknown {
  if (task.kind === 'die') process.exit(3);
  return { kind: task.kind, aggregates: [], events: 0 };
}
