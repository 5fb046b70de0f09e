// Builds an executable schema from SDL and a resolver map (graphql-js only, no schema-tools dependency).
import {
  buildSchema,
  isObjectType,
  isScalarType,
  type GraphQLFieldResolver,
  type GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';

/**
 * One field's resolver. Source and arguments are typed `any` on purpose: the schema, not TypeScript,
 * guarantees their shape, and each resolver module declares the shape it relies on.
 */
export type FieldResolver<Context> = GraphQLFieldResolver<any, Context, any>;

export type ObjectResolvers<Context> = Record<string, FieldResolver<Context>>;

/** Resolvers per object type name, and scalar implementations per scalar name. */
export type Resolvers<Context> = Record<string, ObjectResolvers<Context> | GraphQLScalarType>;

/**
 * Merges resolver modules (e.g. applications, pairing) into one map; two modules resolving the
 * same field is a programming error and throws at start-up.
 */
export function mergeResolvers<Context>(...modules: Resolvers<Context>[]): Resolvers<Context> {
  const merged: Record<string, ObjectResolvers<Context> | GraphQLScalarType> = {};
  for (const module of modules) {
    for (const [typeName, entry] of Object.entries(module)) {
      const existing = merged[typeName];
      if (existing === undefined) {
        merged[typeName] = isScalarType(entry) ? entry : { ...entry };
        continue;
      }
      if (isScalarType(existing) || isScalarType(entry)) throw new Error(`resolvers: scalar ${typeName} is defined twice`);
      for (const [fieldName, resolve] of Object.entries(entry)) {
        if (fieldName in existing) throw new Error(`resolvers: ${typeName}.${fieldName} is resolved twice`);
        existing[fieldName] = resolve;
      }
    }
  }
  return merged;
}

/**
 * The schema of `sdl` with the resolvers attached. Resolvers naming a type or field the schema lacks
 * throw here, at start-up. Root fields without a resolver fail when queried, as an internal error
 * the GraphQL layer logs, instead of silently answering null.
 */
export function buildExecutableSchema<Context>(sdl: string, resolvers: Resolvers<Context>): GraphQLSchema {
  const schema = buildSchema(sdl);
  for (const [typeName, entry] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (isScalarType(entry)) {
      if (!isScalarType(type)) throw new Error(`resolvers: the schema has no scalar ${typeName}`);
      // buildSchema gives custom scalars pass-through behaviour; take the implementation's instead.
      type.serialize = entry.serialize;
      type.parseValue = entry.parseValue;
      type.parseLiteral = entry.parseLiteral;
      continue;
    }
    if (!isObjectType(type)) throw new Error(`resolvers: the schema has no object type ${typeName}`);
    const fields = type.getFields();
    for (const [fieldName, resolve] of Object.entries(entry)) {
      const field = fields[fieldName];
      if (!field) throw new Error(`resolvers: the schema has no field ${typeName}.${fieldName}`);
      field.resolve = resolve;
    }
  }
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      field.resolve ??= () => {
        throw new Error(`no resolver for ${root.name}.${field.name}`);
      };
    }
  }
  return schema;
}
