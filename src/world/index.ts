export { gameObject, player, room, worldAggregates, type WorldCommand, type WorldRuntime, type WorldState } from './kinds.ts';
export { equipmentTrait, inventoryTrait, objectTrait, slotOf, worldEvents, worldTraits } from './traits.ts';
export { mobile, mobileMachine, type MobileMode, type MobileState } from './mobile.ts';
export { balance, buy, purseTrait, sell, shop, shopMachine, type ShopState } from './shop.ts';
