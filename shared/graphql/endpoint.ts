// GraphQL over HTTP for API Gateway proxy events: size limit, authentication, body parsing, depth limit,
// validation, execution, and the mapping of every failure to a status and a client-safe error.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  GraphQLError,
  execute,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ServiceError, toClientError, UnauthenticatedError } from '../errors';
import { MAX_REQUEST_BYTES, bodyBytes, jsonResponse, textResponse } from '../http';
import { logger } from '../logger';
import { noteOperation, noteOutcome } from '../observability/invocation';
import { countOperation } from '../observability/metrics';
import { ASSUMED_LIST_SIZE, fragmentsOf, MAX_MUTATION_FIELDS, MAX_QUERY_COST, queryCost, rootFieldCount, writtenFieldCount } from './cost';
import { MAX_QUERY_DEPTH, queryDepth } from './depth';
import { validatedDocumentsOf } from './documents';
import { errorBody, executionErrorEntry, requestErrorsBody, type GraphQLErrorBody } from './errors';

/**
 * GET <api>/schema.graphql: the SDL the endpoint executes, for clients and code generators. Public (it is the
 * contract, no data), so caches may keep it for five minutes.
 */
export function schemaResponse(sdl: string): APIGatewayProxyResult {
  noteOperation('schema');
  return textResponse(200, sdl, 'text/plain; charset=utf-8', 'public, max-age=300');
}

export interface GraphQLEndpoint<Context> {
  schema: GraphQLSchema;
  /**
   * Checks the request's credentials and builds the execution context. Throws UnauthenticatedError
   * (HTTP 401) or another ServiceError (its HTTP status) to refuse the request before GraphQL runs.
   */
  context(event: APIGatewayProxyEvent): Promise<Context>;
  /**
   * The metric that counts the error entries of this endpoint's responses, by `Code` (e.g. "DirectorErrors"): every
   * code but INTERNAL is the client's doing, INTERNAL is ours. None: not counted.
   */
  errorMetric?: string;
}

interface GraphQLRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
}

/**
 * The largest answer a query may have: far above any real client's (an audit page of 200 events is about 200 KB),
 * far below Lambda's 6 MB response limit.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A request refused before execution (or, for an oversized answer, instead of it): HTTP status plus one error entry. */
class RequestRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: GraphQLErrorBody,
    /** Extra response headers (a 401's WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(body.errors[0]?.message);
  }
}

const badRequest = (message: string, locations?: GraphQLError['locations']) =>
  new RequestRefused(400, errorBody('BAD_USER_INPUT', message, locations));

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readRequest(body: Buffer): GraphQLRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body must be JSON: {"query": "...", "variables": {...}}');
  }
  if (!isPlainObject(parsed)) throw badRequest('The request body must be a JSON object with a "query" string');
  const { query, variables, operationName } = parsed;
  if (typeof query !== 'string' || query.trim() === '') throw badRequest('The request body has no "query" string');
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) {
    throw badRequest('"variables" must be a JSON object');
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw badRequest('"operationName" must be a string');
  }
  return { query, variables: variables ?? {}, operationName: operationName ?? undefined };
}

function parseQuery(query: string): DocumentNode {
  try {
    return parse(query);
  } catch (error) {
    if (error instanceof GraphQLError) throw badRequest(`The query does not parse: ${error.message}`, error.locations);
    // graphql-js parses recursively: absurd nesting overflows the stack before the depth limit can count it.
    if (error instanceof RangeError) throw badRequest(`The query nests deeper than the limit of ${MAX_QUERY_DEPTH} levels`);
    throw error;
  }
}

/** Maps a failure of the authentication step to its HTTP response. */
function refusedByContext(error: unknown, requestId: string | undefined): RequestRefused {
  const client = toClientError(error);
  if (client.code === 'INTERNAL') logger.error('GraphQL request authentication failed', { requestId, error });
  const status = error instanceof ServiceError ? error.httpStatus : 500;
  const challenge = error instanceof UnauthenticatedError ? error.challenge : undefined;
  return new RequestRefused(status, errorBody(client.code, client.message), challenge ? { 'www-authenticate': challenge } : {});
}

/** Refuses, before anything runs, a request above the limits of shared/graphql/cost.ts. */
function refuseCostly(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): void {
  const fragments = fragmentsOf(document);
  if (operation.operation === 'mutation') {
    const fields = rootFieldCount(operation, fragments);
    if (fields > MAX_MUTATION_FIELDS) {
      throw badRequest(`A mutation request may carry at most ${MAX_MUTATION_FIELDS} field, this one has ${fields}: send one request per change`);
    }
  }
  if (queryCost(schema, operation, fragments, variables) > MAX_QUERY_COST) throw costlyRequest();
}

const costlyRequest = () =>
  badRequest(
    `The query costs more than the limit of ${MAX_QUERY_COST} (each field, __typename too, counts once per object it is resolved on, ` +
      `fragments once per use; a page multiplies by its size "first", other lists by ${ASSUMED_LIST_SIZE}): ask for fewer fields or smaller pages, or split it`,
  );

/** "query applications", "mutation generateAuthForApplication": the root fields (names from the schema, never values). */
function operationLabel(operation: OperationDefinitionNode): string {
  const fields = operation.selectionSet.selections.map((selection) => (selection.kind === 'Field' ? selection.name.value : '...'));
  return `${operation.operation} ${[...new Set(fields)].join(',')}`;
}

/**
 * The response, with its error entries counted by code and the first one (or SUCCESS) as the invocation's outcome; a
 * body over `maxBytes` is answered with a refusal instead.
 */
function graphqlResponse(
  statusCode: number,
  body: { errors?: readonly { extensions: { code: string } }[]; data?: unknown },
  errorMetric: string | undefined,
  maxBytes?: number,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  const response = jsonResponse(statusCode, body, headers);
  if (maxBytes !== undefined && Buffer.byteLength(response.body) > maxBytes) {
    const refused = badRequest(`The response would be larger than the limit of ${maxBytes} bytes: ask for fewer fields or smaller pages, or split the query`);
    return graphqlResponse(refused.statusCode, refused.body, errorMetric);
  }
  const codes = (body.errors ?? []).map((error) => error.extensions.code);
  noteOutcome(codes[0] ?? 'SUCCESS');
  if (errorMetric) for (const code of codes) countOperation(errorMetric, 1, { name: 'Code', value: code });
  return response;
}

/** Serves one GraphQL-over-HTTP request (POST, application/json) against the endpoint's schema. */
export async function handleGraphQLRequest<Context>(
  event: APIGatewayProxyEvent,
  endpoint: GraphQLEndpoint<Context>,
): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId;
  try {
    const body = bodyBytes(event);
    if (body.length > MAX_REQUEST_BYTES) {
      throw new RequestRefused(413, errorBody('BAD_USER_INPUT', `The request body is larger than ${MAX_REQUEST_BYTES} bytes`));
    }

    let context: Context;
    try {
      context = await endpoint.context(event);
    } catch (error) {
      throw refusedByContext(error, requestId);
    }

    const request = readRequest(body);
    // A query text seen before skips parse and validation (shared/graphql/documents.ts); the depth limit, the
    // operation, variables, cost limit and execution below still run for every request.
    const documents = validatedDocumentsOf(endpoint.schema);
    const cached = documents.get(request.query);
    const document = cached ?? parseQuery(request.query);
    if (queryDepth(document, MAX_QUERY_DEPTH) > MAX_QUERY_DEPTH) {
      throw badRequest(`The query nests deeper than the limit of ${MAX_QUERY_DEPTH} levels`);
    }
    if (!cached) {
      if (writtenFieldCount(document) > MAX_QUERY_COST) throw costlyRequest();
      const validationErrors = validate(endpoint.schema, document);
      if (validationErrors.length > 0) {
        return graphqlResponse(400, requestErrorsBody(validationErrors), endpoint.errorMetric);
      }
      documents.remember(request.query, document);
    }
    const operation = getOperationAST(document, request.operationName);
    if (!operation) {
      throw badRequest(
        request.operationName
          ? `The query has no operation named "${request.operationName}"`
          : 'The query has several operations: say which one to run with "operationName"',
      );
    }
    noteOperation(operationLabel(operation));
    if (operation.operation === 'subscription') throw badRequest('Subscriptions are not supported');

    // Coerced here rather than inside execute() so that bad variables are told apart from execution errors.
    const coerced = getVariableValues(endpoint.schema, operation.variableDefinitions ?? [], request.variables, { maxErrors: 20 });
    if (coerced.errors) {
      return graphqlResponse(400, requestErrorsBody(coerced.errors), endpoint.errorMetric);
    }
    refuseCostly(endpoint.schema, document, operation, coerced.coerced);

    const result = await execute({
      schema: endpoint.schema,
      document,
      variableValues: request.variables,
      operationName: request.operationName,
      contextValue: context,
    });
    // The cost limit bounds the fields, not their sizes. A query changed nothing, so an oversized answer is refused
    // instead; a mutation's answer is one field and always goes out.
    return graphqlResponse(
      200,
      {
        ...(result.errors?.length ? { errors: result.errors.map((error) => executionErrorEntry(error, requestId)) } : {}),
        data: result.data ?? null,
      },
      endpoint.errorMetric,
      operation.operation === 'query' ? MAX_RESPONSE_BYTES : undefined,
    );
  } catch (error) {
    if (error instanceof RequestRefused) return graphqlResponse(error.statusCode, error.body, endpoint.errorMetric, undefined, error.headers);
    logger.error('GraphQL request failed', { requestId, error });
    return graphqlResponse(500, errorBody('INTERNAL', 'Internal error'), endpoint.errorMetric);
  }
}
