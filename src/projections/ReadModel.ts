// The world's queries moved to src/world/readModel.ts, next to the projection that fills its tables;
// this keeps older imports working.
export { ReadModel, type MobileRow, type ObjectRow, type ShopRow, type WareRow } from '../world/readModel.ts';
