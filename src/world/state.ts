import type { Attributes } from './schemas.ts';

export type AggregateKind = 'game_object' | 'player' | 'room';

interface BaseState {
  readonly id: string;
  readonly name: string;
  readonly generic: string;
  readonly containerId: string | null;
  readonly attributes: Readonly<Attributes>;
  readonly deleted: boolean;
  /** Item ids held, in order. */
  readonly inventory: readonly string[];
  /** slot → item id. */
  readonly equipment: Readonly<Record<string, string>>;
}

export interface GameObjectState extends BaseState {
  readonly kind: 'game_object';
}
export interface PlayerState extends BaseState {
  readonly kind: 'player';
  readonly passwordHash: string;
  readonly admin: boolean;
}
export interface RoomState extends BaseState {
  readonly kind: 'room';
  readonly description: string;
  /** direction → target room id. */
  readonly exits: Readonly<Record<string, string>>;
}

/** The state of one aggregate: plain JSON data, the context of its XState machine. */
export type AggregateState = GameObjectState | PlayerState | RoomState;

/** Generic names reserved for the kinds that have their own create command. */
export const kindOfGeneric = (generic: string): AggregateKind =>
  generic === 'player' ? 'player' : generic === 'room' ? 'room' : 'game_object';
