// What a browser sends when a web page calls another origin, sent by hand: whether a page may call a local endpoint.
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method, headers, timeout: 10_000 });
    outgoing.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    outgoing.once('timeout', () => outgoing.destroy(new Error(`no answer at ${url}`)));
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/**
 * The OPTIONS request a browser sends before a web page of `origin` may POST an AWS API call (signed, JSON,
 * X-Amz-Target) to `url`. node:http, not fetch: it sends Origin as given.
 */
export function corsPreflight(url: string, origin: string): Promise<Answer> {
  return request(url, 'OPTIONS', {
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'authorization,content-type,x-amz-date,x-amz-target',
  });
}

/** A POST a page may send with no preflight (text/plain); the page may read the answer only if it allows `origin`. */
export function simpleCrossOriginPost(url: string, origin: string, body: string): Promise<Answer> {
  return request(url, 'POST', { Origin: origin, 'Content-Type': 'text/plain' }, body);
}
