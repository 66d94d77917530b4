import { currentSchemaVersions, isDomainEventType } from '../domain/events.ts';

/** Turns data stored at `fromVersion` into the shape of `fromVersion + 1`. Pure. */
export type Upcaster = (data: unknown) => unknown;

/**
 * Chains of upcasters per event type: a read of an event stored at an old schema version is brought
 * up to the current one step by step, so old stores stay readable after an event changes shape.
 */
export class UpcasterRegistry {
  readonly #steps = new Map<string, Upcaster>();

  register(type: string, fromVersion: number, upcast: Upcaster): this {
    this.#steps.set(`${type}@${fromVersion}`, upcast);
    return this;
  }

  /** Returns the data at the current schema version of `type`; throws if a step is missing. */
  upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown } {
    const target = isDomainEventType(type) ? currentSchemaVersions[type] : schemaVersion;
    let version = schemaVersion;
    let current = data;
    while (version < target) {
      const step = this.#steps.get(`${type}@${version}`);
      if (!step) throw new Error(`no upcaster for ${type} from schema version ${version} to ${target}`);
      current = step(current);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }
}

/** The upcasters for this domain's past event shapes. */
export function defaultUpcasters(): UpcasterRegistry {
  return new UpcasterRegistry().register('GameObjectCreated', 1, (data) => {
    // v1: { name, generic, container } with no attributes.
    const { container, ...rest } = data as { name: string; generic: string; container?: string | null };
    return { ...rest, containerId: container ?? null, attributes: {} };
  });
}
