// What one GraphQL request may cost, decided before it runs: at most one state-changing root field, and a
// field budget in which every list multiplies what it holds. Every walk here visits each fragment once.
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Root fields one mutation request may carry. Each state-changing field costs storage writes, secrets or
 * signatures: aliasing one field fifty times must not buy fifty credentials in one request.
 */
export const MAX_MUTATION_FIELDS = 1;

/**
 * Budget of a request in fields: every selected field (`__typename` too) costs 1 for every object it is resolved
 * on. Cockpit's heaviest view (an application with its credentials and their certificates) costs under a thousand;
 * the standard introspection query of the Director's schema about 2,750.
 */
export const MAX_QUERY_COST = 5000;

/**
 * How many items a list without a page size is assumed to hold (an application's credentials, a
 * credential's certificates): these lists are not paged, so the estimate must not be zero.
 */
export const ASSUMED_LIST_SIZE = 10;

/** The root fields of introspection, which are not fields of the Query type: priced apart (introspectionCost). */
const INTROSPECTION_ROOTS: ReadonlyMap<string, GraphQLField<unknown, unknown>> = new Map([
  [SchemaMetaFieldDef.name, SchemaMetaFieldDef],
  [TypeMetaFieldDef.name, TypeMetaFieldDef],
]);

/**
 * Memoises a value per fragment: a fragment spread many times (or fragments spreading each other in a fan) is
 * walked once. A fragment met again while it is being walked (a cycle, which validation refuses) counts as 0.
 */
class PerFragment<T> {
  readonly #known = new Map<string, T>();
  readonly #visiting = new Set<string>();

  constructor(private readonly none: T) {}

  of(key: string, compute: () => T): T {
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    if (this.#visiting.has(key)) return this.none;
    this.#visiting.add(key);
    const value = compute();
    this.#visiting.delete(key);
    this.#known.set(key, value);
    return value;
  }
}

/** The root fields of an operation with fragments expanded: each alias counts, `__typename` does not. */
export function rootFieldCount(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  const perFragment = new PerFragment(0);
  const count = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += selection.name.value === '__typename' ? 0 : 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) total += perFragment.of(fragment.name.value, () => count(fragment.selectionSet));
      }
    }
    return total;
  };
  return count(operation.selectionSet);
}

/**
 * The estimated cost of the operation (see MAX_QUERY_COST), for a document that passed validation. A field
 * with a `first` argument multiplies everything below it by the page size the resolver will use (the argument's
 * default when it is absent, null or an unset variable), and the list inside that page does not multiply again;
 * any other list multiplies by ASSUMED_LIST_SIZE. Introspection (`__schema`, `__type`) is counted exactly: the
 * schema is at hand, so its fields are walked as execution would resolve them. Counting stops once `limit` is
 * exceeded and each fragment is priced once, so pricing any document takes time proportional to its text (or to
 * `limit` inside introspection), however far its fragments fan out.
 */
export function queryCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  limit = MAX_QUERY_COST,
): number {
  // Saturating arithmetic: a count past the limit is only ever compared with it.
  const over = limit + 1;
  const add = (a: number, b: number) => Math.min(a + b, over);
  const times = (a: number, b: number) => Math.min(a * b, over);

  const pageSize = (field: GraphQLField<unknown, unknown>, node: FieldNode): number | undefined => {
    const argument = field.args.find((candidate) => candidate.name === 'first');
    if (!argument) return undefined;
    const given = node.arguments?.find((candidate) => candidate.name.value === 'first');
    const value = given ? valueFromAST(given.value, argument.type, variables) : undefined;
    if (typeof value === 'number' && value > 0) return value;
    // Absent, null or an unset variable: the resolvers use the argument's default (a bad value they refuse).
    return typeof argument.defaultValue === 'number' ? argument.defaultValue : ASSUMED_LIST_SIZE;
  };

  // A fragment's cost depends on whether it is spread inside a page (whose inner list does not multiply again).
  const perFragment = new PerFragment(0);
  const cost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, inPage: boolean): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (total >= over) break;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total = add(total, cost(selection.selectionSet, condition ?? parent, inPage));
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && condition) {
          total = add(total, perFragment.of(`${fragment.name.value}\n${inPage}`, () => cost(fragment.selectionSet, condition, inPage)));
        }
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') {
        total = add(total, 1);
        continue;
      }
      const introspection = parent === schema.getQueryType() ? INTROSPECTION_ROOTS.get(name) : undefined;
      if (introspection) {
        total = add(total, introspectionCost(schema, introspection, selection, fragments, variables, over - total));
        continue;
      }
      if (!(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[name];
      if (!field) continue;
      total = add(total, 1);
      if (!selection.selectionSet) continue;
      const page = pageSize(field, selection);
      const list = isListType(getNullableType(field.type));
      const factor = page ?? (list && !inPage ? ASSUMED_LIST_SIZE : 1);
      total = add(total, times(factor, cost(selection.selectionSet, getNamedType(field.type), page !== undefined)));
    }
    return total;
  };
  const root = schema.getRootType(operation.operation);
  return root ? cost(operation.selectionSet, root, false) : 0;
}

/**
 * The fields an introspection root field (`__schema` or `__type`) will resolve, counted by walking the schema with
 * graphql-js's own introspection resolvers, as execution would, and stopping as soon as `budget` is reached: the
 * count is exact where a guess from list sizes would be far off either way (types, fields and arguments differ by
 * orders of magnitude). Fragment spreads are expanded where they are used; the walk's work is bounded by `budget`,
 * as every selection it enters resolves at least one field.
 */
function introspectionCost(
  schema: GraphQLSchema,
  root: GraphQLField<unknown, unknown>,
  node: FieldNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  budget: number,
): number {
  let count = 0;
  // The introspection resolvers read only `schema` of the resolve info.
  const info = { schema } as GraphQLResolveInfo;
  const visitField = (field: GraphQLField<unknown, unknown>, selection: FieldNode, source: unknown): void => {
    count += 1;
    if (count >= budget || !selection.selectionSet) return;
    const args = getArgumentValues(field, selection, variables);
    const value: unknown = field.resolve ? field.resolve(source, args, undefined, info) : (source as Record<string, unknown>)[field.name];
    const type = getNamedType(field.type);
    if (!isObjectType(type)) return;
    for (const item of Array.isArray(value) ? value : value == null ? [] : [value]) {
      visitSelections(selection.selectionSet, type, item);
      if (count >= budget) return;
    }
  };
  // Fragments being expanded on the current path: a cycle (which validation refuses) adds nothing.
  const expanding = new Set<string>();
  const visitSelections = (selectionSet: SelectionSetNode, type: GraphQLObjectType, source: unknown): void => {
    for (const selection of selectionSet.selections) {
      if (count >= budget) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) visitSelections(selection.selectionSet, type, source);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || expanding.has(fragment.name.value)) continue;
        expanding.add(fragment.name.value);
        visitSelections(fragment.selectionSet, type, source);
        expanding.delete(fragment.name.value);
      } else if (selection.name.value === '__typename') count += 1;
      else {
        const field = type.getFields()[selection.name.value];
        if (field) visitField(field, selection, source);
      }
    }
  };
  visitField(root, node, undefined);
  return Math.min(count, budget);
}

/**
 * The fields written in the document's text (each fragment's once, spreads not expanded), counted up to `limit` + 1.
 * Every field of a valid document costs at least 1 in queryCost (all fragments are used), so a document with more
 * fields than MAX_QUERY_COST can be refused before validation, whose work grows with the text.
 */
export function writtenFieldCount(document: DocumentNode, limit = MAX_QUERY_COST): number {
  let count = 0;
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (count > limit) return;
      if (selection.kind === Kind.FIELD) {
        count += 1;
        if (selection.selectionSet) visit(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition.selectionSet);
  }
  return count;
}

/** The document's fragments by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}
