// What one GraphQL request may cost, decided before it runs: at most one state-changing root field, and a
// field budget in which every list multiplies what it holds.
import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
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
 * Budget of a request in fields: every selected field costs 1 for every object it is resolved on. Cockpit's
 * heaviest view (an application with its credentials and their certificates) costs under a thousand.
 */
export const MAX_QUERY_COST = 5000;

/**
 * How many items a list without a page size is assumed to hold (an application's credentials, a
 * credential's certificates): these lists are not paged, so the estimate must not be zero.
 */
export const ASSUMED_LIST_SIZE = 10;

/** The root fields of an operation with fragments expanded: each alias counts, `__typename` does not. */
export function rootFieldCount(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  const count = (selectionSet: SelectionSetNode, seen: ReadonlySet<string>): number =>
    selectionSet.selections.reduce((total, selection) => {
      if (selection.kind === Kind.FIELD) return total + (selection.name.value === '__typename' ? 0 : 1);
      if (selection.kind === Kind.INLINE_FRAGMENT) return total + count(selection.selectionSet, seen);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) return total;
      return total + count(fragment.selectionSet, new Set([...seen, fragment.name.value]));
    }, 0);
  return count(operation.selectionSet, new Set());
}

/**
 * The estimated cost of the operation (see MAX_QUERY_COST), for a document that passed validation. A field
 * with a `first` argument multiplies everything below it by that page size (its default when absent), and
 * the list inside that page does not multiply again; any other list multiplies by ASSUMED_LIST_SIZE.
 * Counting stops once `limit` is exceeded, so an abusive document costs no more than the limit to price.
 */
export function queryCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  limit = MAX_QUERY_COST,
): number {
  let total = 0;
  const pageSize = (field: GraphQLField<unknown, unknown>, node: FieldNode): number | undefined => {
    const argument = field.args.find((candidate) => candidate.name === 'first');
    if (!argument) return undefined;
    const given = node.arguments?.find((candidate) => candidate.name.value === 'first');
    const value = given ? valueFromAST(given.value, argument.type, variables) : argument.defaultValue;
    return typeof value === 'number' && value > 0 ? value : ASSUMED_LIST_SIZE;
  };
  const visit = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, multiplier: number, inPage: boolean): void => {
    for (const selection of selectionSet.selections) {
      if (total > limit) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        visit(selection.selectionSet, condition ?? parent, multiplier, inPage);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && condition) visit(fragment.selectionSet, condition, multiplier, inPage);
        continue;
      }
      if (selection.name.value === '__typename' || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      total += multiplier;
      if (!selection.selectionSet) continue;
      const page = pageSize(field, selection);
      const list = isListType(getNullableType(field.type));
      const factor = page ?? (list && !inPage ? ASSUMED_LIST_SIZE : 1);
      visit(selection.selectionSet, getNamedType(field.type), multiplier * factor, page !== undefined);
    }
  };
  const root = schema.getRootType(operation.operation);
  if (root) visit(operation.selectionSet, root, 1, false);
  return total;
}

/** The document's fragments by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}
