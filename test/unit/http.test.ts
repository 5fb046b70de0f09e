// publicBaseUrl (the configured base URL always wins; only the local stage derives one from the request, elsewhere a missing
// one is a ConfigurationError) and the headers of every JSON answer.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ConfigurationError } from '../../shared/errors';
import { jsonResponse, publicBaseUrl } from '../../shared/http';
import { withEnvironment } from '../support/environment';
import { config } from '../../shared/config';

type BaseUrlRequest = Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>;

/** A request as API Gateway hands it over, with the Host and X-Forwarded-Proto a client chose. */
const request = (host: string, proto = 'https', stage = 'prod'): BaseUrlRequest =>
  ({ headers: { Host: host, 'X-Forwarded-Proto': proto }, requestContext: { stage, domainName: host } }) as unknown as BaseUrlRequest;

describe('publicBaseUrl', () => {
  test('is the configured PUBLIC_BASE_URL whatever Host the request names, on every stage', async () => {
    for (const stage of ['prod', 'test', 'local']) {
      await withEnvironment({ STAGE: stage, PUBLIC_BASE_URL: 'https://api.example.com/prod/' }, () => {
        expect({ stage, url: publicBaseUrl(request('evil.example', 'http'), config()) }).toEqual({ stage, url: 'https://api.example.com/prod' });
      });
    }
  });

  test('on the local stage without PUBLIC_BASE_URL, comes from Host and X-Forwarded-Proto (with the stage on an execute-api host)', async () => {
    await withEnvironment({ STAGE: 'local', PUBLIC_BASE_URL: undefined }, () => {
      expect(publicBaseUrl(request('127.0.0.1:3000', 'http'), config())).toBe('http://127.0.0.1:3000');
      expect(publicBaseUrl(request('abc123.execute-api.eu-central-1.amazonaws.com', 'https', 'dev'), config())).toBe(
        'https://abc123.execute-api.eu-central-1.amazonaws.com/dev',
      );
    });
  });

  test('on any other stage without PUBLIC_BASE_URL, is a ConfigurationError naming the variable, never a URL from the request', async () => {
    for (const stage of ['prod', 'test', 'dev']) {
      await withEnvironment({ STAGE: stage, PUBLIC_BASE_URL: undefined }, () => {
        let thrown: unknown;
        try {
          publicBaseUrl(request('evil.example'), config());
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(ConfigurationError);
        expect((thrown as Error).message).toContain('PUBLIC_BASE_URL');
        expect((thrown as Error).message).not.toContain('evil.example');
      });
    }
  });
});

describe('jsonResponse', () => {
  test('is JSON, never cached, never sniffed, HTTPS only (HSTS, two years, subdomains), whatever the status', () => {
    for (const status of [200, 401, 500]) {
      expect(jsonResponse(status, { ok: true }).headers).toEqual({
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'strict-transport-security': 'max-age=63072000; includeSubDomains',
      });
    }
  });
});
