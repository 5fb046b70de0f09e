// restApiEvent: the REST API event the local mTLS endpoint builds, in the details clients cannot easily drive through curl.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodyBytes } from '../../../shared/http';
import { isCertificateHeader, restApiEvent, type GatewayRequest } from '../../../local/api-gateway-event';
import { developmentServerCredentials } from '../../../local/dev-server-ca';

// Any certificate will do as the "client certificate" here: the development CA's own.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-gateway-event-'));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));
const certificate = new X509Certificate(developmentServerCredentials(stateDir).caCertificatePem);

const request = (overrides: Partial<GatewayRequest> = {}): GatewayRequest => ({
  method: 'POST',
  path: '/director/graphql',
  query: new URLSearchParams(),
  rawHeaders: ['Host', '127.0.0.1:3443', 'Content-Type', 'application/json'],
  body: Buffer.from('{"query":"{ viewer { id } }"}'),
  sourceIp: '10.0.0.7',
  port: 3443,
  clientCertificate: certificate,
  stage: 'local',
  now: new Date('2030-01-02T03:04:05Z'),
  ...overrides,
});

describe('restApiEvent', () => {
  it('appends the connection\'s address to a client\'s X-Forwarded-For and sets X-Forwarded-Proto/Port itself', () => {
    const event = restApiEvent(request({ rawHeaders: ['X-Forwarded-For', '203.0.113.9', 'x-forwarded-proto', 'http', 'X-Forwarded-Port', '80'] }));
    expect(event.headers['X-Forwarded-For']).toBe('203.0.113.9, 10.0.0.7');
    expect(event.headers['X-Forwarded-Proto']).toBe('https');
    expect(event.headers['X-Forwarded-Port']).toBe('3443');
    expect(Object.keys(event.headers).filter((name) => name.toLowerCase() === 'x-forwarded-proto')).toEqual(['X-Forwarded-Proto']);
  });

  it('keeps repeated headers in multiValueHeaders and the last value in headers, in the client\'s spelling', () => {
    const event = restApiEvent(request({ rawHeaders: ['Accept', 'a/b', 'Accept', 'c/d'] }));
    expect(event.multiValueHeaders.Accept).toEqual(['a/b', 'c/d']);
    expect(event.headers.Accept).toBe('c/d');
  });

  it('passes a text body as it is and anything else base64-encoded, so bodyBytes gets the very bytes sent', () => {
    const text = restApiEvent(request());
    expect(text).toMatchObject({ body: '{"query":"{ viewer { id } }"}', isBase64Encoded: false });
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const event = restApiEvent(request({ body: binary }));
    expect(event.isBase64Encoded).toBe(true);
    expect(bodyBytes(event).equals(binary)).toBe(true);
    expect(restApiEvent(request({ body: Buffer.alloc(0) })).body).toBeNull();
  });

  it('names the domain and the request time as API Gateway does', () => {
    const event = restApiEvent(request());
    expect(event.requestContext.domainName).toBe('127.0.0.1');
    expect(event.requestContext.requestTimeEpoch).toBe(Date.parse('2030-01-02T03:04:05Z'));
    expect(event.queryStringParameters).toBeNull();
    expect(event.requestContext.identity.clientCert?.subjectDN).toBe('O=pairing-service (local development only),CN=pairing-service local mTLS endpoint development CA');
  });
});

describe('isCertificateHeader', () => {
  it.each(['X-Client-Cert', 'Client-Id-From-Certificate', 'Certificate-Data', 'X-SSL-Client-Cert', 'ssl-client-verify', 'X-Forwarded-Client-Cert', 'x-amzn-mtls-clientcert'])(
    'drops %s',
    (name) => expect(isCertificateHeader(name)).toBe(true),
  );
  it.each(['Content-Type', 'Authorization', 'Connector-Token', 'User-Agent'])('keeps %s', (name) => expect(isCertificateHeader(name)).toBe(false));
});
