// Real operations through the Director and Connector handlers (DynamoDB Local, moto) write their metrics as EMF
// lines to the function's stdout, which is the function log in Lambda and `npm start`'s output locally.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as connectorHandler } from '../../../functions/connector/handler';
import { handler as directorHandler } from '../../../functions/director/handler';
import { issueAccessToken } from '../../../shared/oauth/access-tokens';
import { ADMIN_SCOPES } from '../../../shared/scopes';
import { captureLogs } from '../../support/captured-logs';
import { freshTenant } from '../../support/local-aws';
import { withSettings } from '../../support/settings';
import { oauthClients, caLifecycle } from '../../support/stores';
import { CONFIGURATION, connectorEvent, pendingPairing } from '../connector/pairing-fixture';
import { config } from '../../../shared/config';
import { accessTokenSigner } from '../../../functions/container';

const NAMESPACE = 'PairingService/test';
withSettings({ POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_SERVICE_NAME: 'pairing-service' });
// configuration announces the CSR subject from the CA registry.
beforeAll(() => caLifecycle.ensure());

interface EmfRecord {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** "Metric{dimension=value,...}=value" of every EMF record among the log records of `work`. */
async function metricsWrittenBy(work: () => Promise<unknown>): Promise<{ metrics: string[]; records: EmfRecord[] }> {
  const { records } = await captureLogs('INFO', work);
  const emf = records.filter((record): record is EmfRecord => typeof record._aws === 'object');
  const metrics = emf.flatMap((record) =>
    record._aws.CloudWatchMetrics.flatMap((set) => {
      expect(set.Namespace).toBe(NAMESPACE);
      return set.Dimensions.flatMap((names) => {
        const dimensions = names.map((name) => `${name}=${String(record[name])}`).join(',');
        return set.Metrics.map((metric) => `${metric.Name}{${dimensions}}=${JSON.stringify(record[metric.Name])}`);
      });
    }),
  );
  return { metrics, records: emf };
}

test('a Connector configuration call writes the token redeemed and issued; the replay writes the refusal by reason and the error code', async () => {
  const pairing = await pendingPairing();
  const first = await metricsWrittenBy(() => connectorHandler(connectorEvent({ query: CONFIGURATION }, { token: pairing.token })));
  expect(first.metrics).toEqual(expect.arrayContaining([
    'OneTimeTokensRedeemed{service=pairing-service}=1',
    'OneTimeTokensIssued{service=pairing-service}=1',
    'OneTimeTokensRedeemed{service=pairing-service,Purpose=CONFIGURATION}=1',
    'OneTimeTokensIssued{service=pairing-service,Purpose=CSR}=1',
  ]));
  expect(first.metrics.filter((metric) => metric.startsWith('ConnectorErrors'))).toEqual([]);

  const replay = await metricsWrittenBy(() => connectorHandler(connectorEvent({ query: CONFIGURATION }, { token: pairing.token })));
  expect(replay.metrics).toEqual(expect.arrayContaining([
    'OneTimeTokensRefused{service=pairing-service}=1',
    'OneTimeTokensRefused{service=pairing-service,Reason=SPENT}=1',
    'ConnectorErrors{service=pairing-service,Code=UNAUTHENTICATED}=1',
  ]));
  // Nothing but codes and counts: no token, no tenant, no id in any metric record.
  for (const record of [...first.records, ...replay.records]) {
    const text = JSON.stringify(record);
    for (const secretOrId of [pairing.token, pairing.tenant, pairing.appId, pairing.systemAuthId]) expect(text).not.toContain(secretOrId);
  }
});

function directorEvent(token: string, query: string, variables: Record<string, unknown>): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST', path: '/director/graphql', body: JSON.stringify({ query, variables }), isBase64Encoded: false,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', Authorization: `Bearer ${token}` },
    requestContext: { stage: 'test', domainName: 'api.example.test', requestId: randomUUID() },
  } as unknown as APIGatewayProxyEvent;
}

test('a Director pairing writes the pairing by type and the credentials issued; an error is counted by its code', async () => {
  const tenant = freshTenant();
  const admin = await oauthClients.create({ tenant, kind: 'ADMIN', scopes: [...ADMIN_SCOPES] });
  const token = (await issueAccessToken(accessTokenSigner, admin.systemAuth, admin.systemAuth.scopes, 'https://api.example.test', config())).accessToken;
  const registered = await directorHandler(directorEvent(token, 'mutation($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }', { in: { name: `emf-${randomUUID().slice(0, 8)}` } }));
  const appId = JSON.parse(registered.body).data.registerApplication.id as string;
  const generate = 'mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { type } }';

  const paired = await metricsWrittenBy(() => directorHandler(directorEvent(token, generate, { id: appId })));
  expect(paired.metrics).toEqual(expect.arrayContaining([
    'PairingsGenerated{service=pairing-service}=1',
    'PairingsGenerated{service=pairing-service,PairingType=OAUTH2_CLIENT_CREDENTIALS}=1',
    'ClientCredentialsIssued{service=pairing-service}=1',
  ]));

  const missing = await metricsWrittenBy(() => directorHandler(directorEvent(token, generate, { id: randomUUID() })));
  expect(missing.metrics).toEqual(expect.arrayContaining(['DirectorErrors{service=pairing-service}=1', 'DirectorErrors{service=pairing-service,Code=NOT_FOUND}=1']));
  expect(missing.metrics.some((metric) => metric.startsWith('PairingsGenerated'))).toBe(false);
});
