// The one-time token reaches no log line, sent as ?token= (Compass's way) or as the Connector-Token header, at DEBUG, on success, refusal and failure.
import { randomBytes } from 'node:crypto';
import { connectorServices, handler as connectorHandler } from '../../../functions/connector/handler';
import { handleConnectorRequest } from '../../../shared/connector/endpoint';
import { OneTimeTokenRepository } from '../../../shared/one-time-tokens/repository';
import { captureLogs } from '../../support/captured-logs';
import { CONFIGURATION, connectorEvent, pendingPairing } from './pairing-fixture';
import { aws } from '../../../functions/container';

const configurationWith = (token: string, tokenVia: 'header' | 'query' = 'query') =>
  connectorHandler(connectorEvent({ query: CONFIGURATION }, { token, tokenVia }));

test('no log line carries a one-time token presented as ?token=, even at DEBUG and when the request fails inside', async () => {
  const pairing = await pendingPairing();
  const viaHeader = await pendingPairing();
  const unknown = randomBytes(32).toString('base64url');
  const malformed = `${unknown}!<script>`;
  const forFailure = randomBytes(32).toString('base64url');

  const { result, lines, records } = await captureLogs('DEBUG', async () => {
    const spent = await configurationWith(pairing.token);
    const again = await configurationWith(pairing.token);
    const header = await configurationWith(viaHeader.token, 'header');
    const refused = [await configurationWith(unknown), await configurationWith(malformed)];
    // The token lookup fails (no such table): the request's failure is logged, with the token still in the event.
    const broken = { ...connectorServices(), oneTimeTokens: new OneTimeTokenRepository(aws.dynamo, 'pairing-service-test-no-such-table') };
    const failed = await handleConnectorRequest(connectorEvent({ query: CONFIGURATION }, { token: forFailure, tokenVia: 'query' }), broken);
    return { spent, again, header, refused, failed };
  });

  expect(result.spent.statusCode).toBe(200);
  const issued = JSON.parse(result.spent.body).data.result.token.token as string;
  expect(result.again.statusCode).toBe(401);
  expect(result.header.statusCode).toBe(200);
  for (const refusal of result.refused) expect(refusal.statusCode).toBe(401);
  expect(result.failed.statusCode).toBe(500);
  // The failure was logged: the test looked at real log lines.
  expect(records.some((record) => record.level === 'ERROR')).toBe(true);

  const presented = [pairing.token, viaHeader.token, unknown, malformed, forFailure, issued];
  for (const line of lines) {
    for (const token of presented) expect(line).not.toContain(token);
  }
});
