// Benchmark: requests that try to make one GraphQL request expensive (the security review's findings), sent to the
// Director's handler in-process against local AWS: each one's status, time, response size and DynamoDB calls.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CallMeter, graphqlEvent, meterClient } from './operations';
import { startBenchAws } from './local-aws';
import type { BenchSection } from './run';

const STAGE = 'bench';

/** `count` fragments, each spreading the next twice: `count` lines of text, 2^count selections when expanded. */
export function fragmentFanOut(operation: 'query' | 'mutation', count: number): string {
  const on = operation === 'query' ? 'Query' : 'Mutation';
  const fragments = Array.from({ length: count }, (_, i) =>
    i + 1 < count ? `fragment F${i + 1} on ${on} { __typename ...F${i + 2} ...F${i + 2} }` : `fragment F${i + 1} on ${on} { __typename }`);
  return `${operation} { ...F1 }\n${fragments.join('\n')}`;
}

/** `aliases` copies of a walk over the whole schema's types, fields and their types. */
export const introspectionAliases = (aliases: number): string =>
  `{ ${Array.from({ length: aliases }, (_, i) => `s${i}: __schema { types { name fields { name args { name } type { name kind } } } }`).join(' ')} }`;

/** `aliases` short introspection roots, each resolving every type's fields: few fields written, many resolved. */
export const introspectionFanOut = (aliases: number): string =>
  `{ ${Array.from({ length: aliases }, (_, i) => `s${i}: __schema { types { fields { name } } }`).join(' ')} }`;

/** Pages of applications without a page size (`first: null`), each with its credentials and their certificates. */
export const unsizedPages = (aliases: number): string =>
  `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: applications(first: null) { data { id name auths { id type status } } }`).join(' ')} }`;

/** Filtered audit pages of one event each, over a trail where the filter matches nothing. */
export const filteredAuditPages = (aliases: number): string =>
  `{ ${Array.from({ length: aliases }, (_, i) => `e${i}: auditEvents(first: 1, filter: {actions: [CA_RETIRED]}) { data { id } totalCount pageInfo { hasNextPage } }`).join(' ')} }`;

export const graphqlAbuseBench: BenchSection = {
  name: 'GraphQL cost rules: abusive requests (status, time, response size, DynamoDB calls)',
  async run() {
    const aws = await startBenchAws({ stage: STAGE, baseUrl: 'https://api.bench.test', logLevel: 'ERROR' });
    try {
      const { aws: clients, kms, secrets, signingKeyLifecycle } = await import('../functions/container');
      const { OAuthClients, clientAuthenticationState } = await import('../shared/oauth/clients');
      const { storedVerifiersOf } = await import('../shared/oauth/stored-verifiers');
      const { config } = await import('../shared/config');
      const { SystemAuthRepository } = await import('../shared/system-auths/repository');
      const { OAuthClientRecords } = await import('../shared/system-auths/oauth-client-records');
      const { AuditRepository } = await import('../shared/audit/repository');
      const { handler: director } = await import('../functions/director/handler');
      const { handler: oauth } = await import('../functions/oauth/handler');
      await signingKeyLifecycle.ensure();
      const tenant = 'bench';
      const admin = await new OAuthClients(new SystemAuthRepository(clients.dynamo, config().systemAuthsTable), new OAuthClientRecords(clients.dynamo, config().systemAuthsTable, config), secrets, clientAuthenticationState(), storedVerifiersOf(kms, config())).createAdmin(tenant);
      const basic = `Basic ${Buffer.from(`${admin.clientId}:${admin.clientSecret}`).toString('base64')}`;
      const granted = await oauth({
        resource: '/oauth2/token', path: '/oauth2/token', httpMethod: 'POST', isBase64Encoded: false,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic, Host: 'api.bench.test' },
        body: 'grant_type=client_credentials', queryStringParameters: null, requestContext: { requestId: 'bench', stage: STAGE },
      } as unknown as APIGatewayProxyEvent);
      const bearer = { Authorization: `Bearer ${String((JSON.parse(granted.body) as { access_token: string }).access_token)}` };
      // 406 events of one tenant, none of which the audit filter below matches.
      const audit = new AuditRepository(clients.dynamo, config().auditTable);
      const start = Date.parse('2026-12-01T00:00:00.000Z');
      for (let i = 0; i < 406; i += 1) {
        await audit.append({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, time: new Date(start + i * 1000).toISOString(), tenant,
          action: 'APPLICATION_REGISTERED', outcome: 'SUCCESS', actor: { kind: 'CLI' }, target: {}, details: {}, count: 1,
        }, Math.floor(start / 1000) + 86_400);
      }
      const meter = new CallMeter();
      meterClient(clients.dynamo, 'DynamoDB', meter);
      const requests: Array<[string, string]> = [
        ['fragment fan-out, query, 24 fragments', fragmentFanOut('query', 24)],
        ['fragment fan-out, mutation, 20 fragments', fragmentFanOut('mutation', 20)],
        ['introspection, 1,000 aliases of a schema walk', introspectionAliases(1000)],
        ['introspection, 300 aliases of every type\'s fields', introspectionFanOut(300)],
        ['applications(first: null) x 14 with credentials', unsizedPages(14)],
        ['auditEvents(first: 1, filter) x 20 over 406 unmatched events', filteredAuditPages(20)],
      ];
      console.log(`  ${'request'.padEnd(58)}  bytes in  status     ms    bytes out  DynamoDB calls  answer`);
      const lines: string[] = [];
      for (const [name, query] of requests) {
        meter.reset();
        const started = performance.now();
        const response = await director(graphqlEvent('/director/graphql', query, {}, bearer));
        const ms = performance.now() - started;
        const calls = [...meter.counts().entries()].reduce((sum, [call, n]) => sum + (call.startsWith('DynamoDB') ? n : 0), 0);
        const first = (JSON.parse(response.body) as { errors?: Array<{ message: string }> }).errors?.[0]?.message ?? 'data';
        console.log(`  ${name.padEnd(58)}  ${String(query.length).padStart(8)}  ${String(response.statusCode).padStart(6)}  ${ms.toFixed(0).padStart(5)}  ${String(response.body.length).padStart(11)}  ${String(calls).padStart(14)}  ${first.slice(0, 60)}`);
        lines.push(`${response.statusCode}/${ms.toFixed(0)}ms`);
      }
      return `abusive GraphQL requests: ${lines.join(', ')}`;
    } finally {
      await aws.stop();
    }
  },
};
