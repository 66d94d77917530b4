import type { StoreCodecs } from '../config/stores.ts';
import { UpcasterRegistry } from '../eventStore/upcasters.ts';
import type { AggregateRegistry } from './registry.ts';

/**
 * The store's read step (upcast, then validate), answered by the registry: every hosted kind's events,
 * not only the built-in world's. Until stores take the registry's codec directly (CONTRACT.md).
 */
export function registryUpcasters(registry: AggregateRegistry): UpcasterRegistry {
  return new (class extends UpcasterRegistry {
    readonly validatesEvents = true;
    override upcast(type: string, schemaVersion: number, data: unknown) {
      const upcast = registry.upcast(type, schemaVersion, data);
      registry.validateEvent({ type, data: upcast.data });
      return upcast;
    }
  })();
}

/** What a store built for these kinds validates appends with (the registry's codec) and reads through. */
export function storeCodecsOf(registry: AggregateRegistry): StoreCodecs {
  return { codec: registry.codec, upcasters: registryUpcasters(registry) };
}
