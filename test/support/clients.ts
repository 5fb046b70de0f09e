// What the end-to-end tests use as outside clients do: JSON over HTTP, and openssl's way of writing a subject.

/** An HTTP status with the GraphQL answer's fields. */
export interface GraphQLAnswer {
  status: number;
  // GraphQL answers are read like a client reads them, field by field.
  data?: any;
  errors?: Array<{ message: string; extensions: { code: string; [field: string]: unknown } }>;
}

/** POST a JSON body; the answer's status plus its JSON fields. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<GraphQLAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLAnswer, 'status'>) };
}

/** A GraphQL request with a bearer token, as `curl -H "Authorization: Bearer $TOKEN" -d '{"query": …}'` sends it. */
export function graphql(url: string, accessToken: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  return postJson(url, { Authorization: `Bearer ${accessToken}` }, { query, variables });
}

/**
 * The announced subject ("O=Pairing Service,OU=Applications,...,CN=<id>", RFC 4514 escaping) in the form
 * `openssl req -subj` takes ("/O=Pairing Service/OU=Applications/.../CN=<id>").
 */
export function opensslSubject(subject: string): string {
  return `/${subject.split(/(?<!\\),/).map((part) => part.replace(/\\,/g, ',').replace(/\//g, '\\/')).join('/')}`;
}
