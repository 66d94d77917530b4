import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import {
  attributesSchema,
  idSchema,
  jsonValueSchema,
  keySchema,
  nameSchema,
  textSchema,
} from './schemas.ts';
// Commands carry only hashes with parameters we accept; stored events keep the format check so old players load.
import { strongPasswordHashSchema as passwordHashSchema } from '../domain/password.ts';

const command = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id: idSchema, ...shape });

export const commandSchemas = {
  CreateGameObject: command('CreateGameObject', {
    name: nameSchema,
    generic: keySchema,
    containerId: idSchema.nullable().optional(),
  }),
  UpdateGameObjectAttribute: command('UpdateGameObjectAttribute', { key: keySchema, value: jsonValueSchema }),
  UpdateGameObjectAttributes: command('UpdateGameObjectAttributes', { attributes: attributesSchema }),
  UpdateGameObjectContainer: command('UpdateGameObjectContainer', { containerId: idSchema.nullable() }),
  DeleteGameObject: command('DeleteGameObject', {}),
  CreatePlayer: command('CreatePlayer', { name: nameSchema, passwordHash: passwordHashSchema }),
  UpdatePlayerPassword: command('UpdatePlayerPassword', { passwordHash: passwordHashSchema }),
  UpdatePlayerAdminStatus: command('UpdatePlayerAdminStatus', { admin: z.boolean() }),
  CreateRoom: command('CreateRoom', { name: nameSchema, description: textSchema }),
  UpdateRoomDescription: command('UpdateRoomDescription', { description: textSchema }),
  AddRoomExit: command('AddRoomExit', { direction: keySchema, targetRoomId: idSchema }),
  RemoveRoomExit: command('RemoveRoomExit', { direction: keySchema }),
  AddItemToInventory: command('AddItemToInventory', {
    itemId: idSchema,
    position: z.number().int().nonnegative().optional(),
  }),
  RemoveItemFromInventory: command('RemoveItemFromInventory', { itemId: idSchema }),
  EquipItem: command('EquipItem', { itemId: idSchema, slot: keySchema }),
  UnequipItem: command('UnequipItem', { itemId: idSchema, slot: keySchema }),
} as const;

type Schemas = typeof commandSchemas;
export type CommandType = keyof Schemas;
/** A command: a plain object discriminated by `type`; `id` names the target aggregate. */
export type Command = { [K in CommandType]: z.infer<Schemas[K]> }[CommandType];
export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;

export const commandTypes = Object.keys(commandSchemas) as CommandType[];
export const commandSchema = z.discriminatedUnion(
  'type',
  Object.values(commandSchemas) as unknown as [Schemas[CommandType], ...Schemas[CommandType][]],
);

/** Parses untrusted input into a Command, or throws a ValidationError naming each bad field. */
export function parseCommand(input: unknown): Command {
  const type = (input as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(commandSchemas, type)) {
    throw new ValidationError(`unknown command type: ${typeof type === 'string' ? type : String(type)}`, [
      { path: 'type', message: `must be one of ${commandTypes.join(', ')}` },
    ]);
  }
  const result = commandSchemas[type as CommandType].safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new ValidationError(
      `invalid ${type}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data as Command;
}
