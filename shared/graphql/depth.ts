// How deeply a GraphQL document nests selection sets, so that abusive queries are refused before validation.
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { fragmentsOf } from './cost';

/** Queries nesting selection sets deeper than this are refused with HTTP 400. */
export const MAX_QUERY_DEPTH = 15;

/**
 * The deepest selection-set nesting of any operation in the document (`{ a { b } }` is 2), with
 * fragment spreads counted where they are used. Stops counting once `limit` is exceeded, so a
 * pathological document costs no more than the limit. Fragment cycles and unknown fragments add
 * nothing: validation rejects them afterwards.
 */
export function queryDepth(document: DocumentNode, limit = MAX_QUERY_DEPTH): number {
  const fragments = fragmentsOf(document);
  // Depth of each fragment's own selection set, computed once: spreading one fragment many times
  // (or fragments spreading each other in a fan) must not multiply the work.
  const fragmentDepths = new Map<string, number>();
  const visiting = new Set<string>();

  const fragmentDepth = (name: string): number => {
    const known = fragmentDepths.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0;
    visiting.add(name);
    const depth = selectionSetDepth(fragment.selectionSet, 0);
    visiting.delete(name);
    fragmentDepths.set(name, depth);
    return depth;
  };

  // `level` is the nesting of the fields of this selection set; the result is the deepest level reached.
  const selectionSetDepth = (selectionSet: SelectionSetNode, level: number): number => {
    if (level > limit) return level;
    let deepest = level;
    for (const selection of selectionSet.selections) {
      let depth: number;
      if (selection.kind === Kind.FIELD) {
        depth = selection.selectionSet ? selectionSetDepth(selection.selectionSet, level + 1) : level;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        depth = selectionSetDepth(selection.selectionSet, level);
      } else {
        depth = level + fragmentDepth(selection.name.value);
      }
      deepest = Math.max(deepest, depth);
      if (deepest > limit) break;
    }
    return deepest;
  };

  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    deepest = Math.max(deepest, selectionSetDepth(definition.selectionSet, 1));
    if (deepest > limit) break;
  }
  return deepest;
}
