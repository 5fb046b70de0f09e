// The per-container cache of GraphQL documents that parsed and passed validation, keyed by their query text: clients
// send the same few query texts again and again, and parsing plus validating one is most of graphql-js's CPU in a
// small request. Only the text's parse and its validation against the schema are kept; the depth and cost limits,
// the operation, the variables and execution run for every request.
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { RecentlyUsed } from '../bounded-map';

/** Query texts kept per schema: a client's handful of operations, with room for many clients' variants. */
const MAX_CACHED_DOCUMENTS = 100;
/** Longer query texts are never kept (parsed and validated every time). */
export const MAX_CACHED_QUERY_LENGTH = 4096;
/**
 * The characters of all kept texts together. A document's AST with its locations and tokens takes about a hundred
 * times its text in memory (measured: 327 KB for a 3,093-character text of many short fields), so this bounds the
 * cache near 7 MB per schema whatever clients send; real clients' few texts fit many times over.
 */
export const MAX_CACHED_QUERY_CHARACTERS = 64 * 1024;

export class ValidatedDocuments {
  readonly #documents: RecentlyUsed<string, DocumentNode>;

  constructor(
    capacity = MAX_CACHED_DOCUMENTS,
    private readonly maxQueryLength = MAX_CACHED_QUERY_LENGTH,
    maxCharacters = MAX_CACHED_QUERY_CHARACTERS,
  ) {
    this.#documents = new RecentlyUsed(capacity, { maxWeight: maxCharacters, weightOf: (query) => query.length });
  }

  /** The document of exactly this query text, if it was remembered. */
  get(query: string): DocumentNode | undefined {
    return this.#documents.get(query);
  }

  /** Keeps the document of a query text that parsed and validated without errors (the caller's promise). */
  remember(query: string, document: DocumentNode): void {
    if (query.length <= this.maxQueryLength) this.#documents.set(query, document);
  }

  get size(): number {
    return this.#documents.size;
  }

  /** The characters of the kept texts together. */
  get characters(): number {
    return this.#documents.weight;
  }
}

const bySchema = new WeakMap<GraphQLSchema, ValidatedDocuments>();

/** The cache of one schema: a document validated against one schema says nothing about another. */
export function validatedDocumentsOf(schema: GraphQLSchema): ValidatedDocuments {
  let documents = bySchema.get(schema);
  if (!documents) bySchema.set(schema, (documents = new ValidatedDocuments()));
  return documents;
}
