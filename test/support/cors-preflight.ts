// A browser's CORS preflight, sent by hand: whether a web page of another origin may call a local endpoint.
import http from 'node:http';

/**
 * The OPTIONS request a browser sends before a web page of `origin` may POST an AWS API call (signed, JSON,
 * X-Amz-Target) to `url`; resolves with the answer's status and headers. node:http, not fetch: it sends Origin as given.
 */
export function corsPreflight(url: string, origin: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-amz-date,x-amz-target' },
      timeout: 10_000,
    });
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.once('timeout', () => request.destroy(new Error(`no answer to the preflight at ${url}`)));
    request.once('error', reject);
    request.end();
  });
}
