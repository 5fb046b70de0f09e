// The pairing data the agent accepts: every shape an administrator copies, unknown fields ignored, anything else named.
import { BadInputError } from '../../agent/src/errors';
import { pairingFromFlags, parsePairingData } from '../../agent/src/pairing-data';

const params = { token: 'tok-123', connectorURL: 'http://127.0.0.1:3000/connector/graphql', expiresAt: '2026-12-06T17:31:33.000Z' };
const rawEncoded = Buffer.from(JSON.stringify(params)).toString('base64');
const answer = { type: 'CLIENT_CERTIFICATE', systemAuthID: 'sa-1', params: { ...params, rawEncoded }, expiresAt: params.expiresAt };
const oneTimeToken = { kind: 'one-time-token', token: 'tok-123', connectorUrl: 'http://127.0.0.1:3000/connector/graphql' };

describe('parsePairingData', () => {
  it.each([
    ['the generateAuthForApplication answer', JSON.stringify(answer)],
    ['the same inside its GraphQL envelope, with fields it does not know', JSON.stringify({ data: { generateAuthForApplication: answer }, extensions: { cost: 1 }, copiedAt: 'now' })],
    ['requestOneTimeTokenForApplication', JSON.stringify({ data: { requestOneTimeTokenForApplication: { ...params, used: false, rawEncoded } } })],
    ['rawEncoded', rawEncoded],
    ['rawEncoded as a JSON string, with whitespace', `  ${JSON.stringify(rawEncoded)}\n`],
    ['params with only rawEncoded', JSON.stringify({ type: 'CLIENT_CERTIFICATE', params: { rawEncoded } })],
  ])('reads a one-time token from %s', (_name, input) => {
    expect(parsePairingData(input)).toMatchObject(oneTimeToken);
  });

  it('reads client credentials from the OAUTH2_CLIENT_CREDENTIALS answer', () => {
    const oauth = { type: 'OAUTH2_CLIENT_CREDENTIALS', systemAuthID: 'c-1', params: { clientId: 'c-1', clientSecret: 's3cret', tokenUrl: 'http://127.0.0.1:3000/oauth2/token', scopes: ['application:read'] } };
    expect(parsePairingData(JSON.stringify({ data: { generateAuthForApplication: oauth } }))).toEqual({
      kind: 'client-credentials',
      clientId: 'c-1',
      clientSecret: 's3cret',
      tokenUrl: 'http://127.0.0.1:3000/oauth2/token',
      scopes: ['application:read'],
      systemAuthId: 'c-1',
    });
  });

  it.each([
    ['', /empty input/],
    ['{not json', /not valid JSON/],
    ['[1,2]', /expected a JSON object/],
    ['%%%', /neither JSON nor a rawEncoded/],
    [JSON.stringify({ type: 'PRIVATE_KEY_JWT', params: {} }), /pairing data of type PRIVATE_KEY_JWT/],
    [JSON.stringify({ type: 'CLIENT_CERTIFICATE', params: { clientId: 'c', clientSecret: 's', tokenUrl: 'http://x/t' } }), /no token and connectorURL found \(fields present: clientId, clientSecret, tokenUrl\)/],
    [JSON.stringify({ ...params, connectorURL: 'ftp://host/x' }), /connectorURL must be an http\(s\) URL/],
    [JSON.stringify({ ...params, connectorURL: 'not a url' }), /connectorURL "not a url" is not a URL/],
  ])('refuses %j naming the problem', (input, message) => {
    expect(() => parsePairingData(input)).toThrow(BadInputError);
    expect(() => parsePairingData(input)).toThrow(message);
  });

  it('takes --token and --connector-url', () => {
    expect(pairingFromFlags(' tok-123 ', 'http://127.0.0.1:3000/connector/graphql')).toMatchObject(oneTimeToken);
    expect(() => pairingFromFlags('', 'http://x')).toThrow('--token is empty');
  });
});
