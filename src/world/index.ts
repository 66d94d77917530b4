export { gameObject, player, room, worldAggregates } from './kinds.ts';
export { equipmentTrait, inventoryTrait, objectTrait, slotOf, worldEvents, worldTraits } from './traits.ts';
