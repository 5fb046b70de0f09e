// HTTP calls to a pairing adapter outside the service: signed by a short-lived JWT, bounded in time and size, never
// following a redirect; every failure becomes a message that names the adapter and what went wrong, never its body.
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { SERVICE_NAME } from '../config';
import { InternalError } from '../errors';
import { signJwsWithKms } from '../oauth/access-tokens';
import type { KmsKeys } from '../aws/kms';
import type { SigningKeys } from '../oauth/signing-keys';

/** The largest answer read from an adapter; a longer one is refused. */
export const MAX_ADAPTER_ANSWER_BYTES = 64 * 1024;
/** Lifetime of the JWT on each call. */
export const ADAPTER_JWT_LIFETIME_SECONDS = 60;

/** Signs the JWT of one call: `aud` is the adapter's URL. */
export type AdapterRequestSigner = (claims: Record<string, unknown>) => Promise<string>;

/** The JWT claims of a call to `url` for `tenant`: the service is iss, the adapter's URL aud, a fresh jti each call. */
export function adapterJwtClaims(stage: string, url: string, tenant: string, now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return { iss: `${SERVICE_NAME}:${stage}`, sub: tenant, aud: url, iat: now, exp: now + ADAPTER_JWT_LIFETIME_SECONDS, jti: randomUUID() };
}

/** The service's token-signing KMS key signs (its kid is in the JWKS at /.well-known/jwks.json). */
export function kmsAdapterSigner(kms: Pick<KmsKeys, 'sign'>, signingKeys: Pick<SigningKeys, 'active'>): AdapterRequestSigner {
  return async (claims) => signJwsWithKms(kms, await signingKeys.active(), claims, { typ: 'JWT' });
}

/** An adapter failed; the message (safe to show) names the adapter and what was wrong; `reason` is a few words for the audit trail. */
export class PairingAdapterError extends InternalError {
  override readonly name: string = 'PairingAdapterError';

  constructor(
    readonly adapter: string,
    readonly reason: string,
  ) {
    super(`Pairing adapter "${adapter}" failed: ${reason}`);
  }
}

export interface AdapterAnswer {
  status: number;
  /** The parsed JSON body; undefined for an empty one. */
  body: unknown;
}

export interface AdapterEndpoint {
  name: string;
  url: string;
  timeoutMs: number;
}

/** One adapter's HTTP client. */
export class ExternalAdapterClient {
  constructor(
    readonly endpoint: AdapterEndpoint,
    private readonly stage: string,
    private readonly sign: AdapterRequestSigner,
  ) {}

  /** Sends `body` as JSON with the method; answers a 2xx with its JSON, anything else throws PairingAdapterError. */
  async call(method: 'POST' | 'DELETE', tenant: string, body: Record<string, unknown>): Promise<AdapterAnswer> {
    const jwt = await this.sign(adapterJwtClaims(this.stage, this.endpoint.url, tenant));
    const payload = Buffer.from(JSON.stringify(body));
    const url = new URL(this.endpoint.url);
    const transport = url.protocol === 'https:' ? https : http;
    const { status, raw } = await new Promise<{ status: number; raw: Buffer }>((resolve, reject) => {
      const request = transport.request(url, {
        method,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          accept: 'application/json',
          authorization: `Bearer ${jwt}`,
        },
      });
      // Ends the exchange (a second call, e.g. from the error that the destroy raises, changes nothing).
      const fail = (reason: string) => {
        clearTimeout(deadline);
        request.destroy();
        reject(new PairingAdapterError(this.endpoint.name, reason));
      };
      // One deadline for the whole exchange: connecting, sending and the whole answer.
      const deadline = setTimeout(() => fail(`no answer within ${this.endpoint.timeoutMs / 1000} s`), this.endpoint.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) =>
        fail(error.code === 'ECONNREFUSED' ? 'connection refused' : `could not be reached (${error.code ?? 'network error'})`),
      );
      request.on('response', (response) => {
        const statusCode = response.statusCode ?? 0;
        if (statusCode >= 300 && statusCode < 400) return fail(`answered with a redirect (HTTP ${statusCode}), which is not followed`);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ADAPTER_ANSWER_BYTES) return fail(`answered with more than ${MAX_ADAPTER_ANSWER_BYTES / 1024} KB`);
          chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: statusCode, raw: Buffer.concat(chunks) });
        });
        response.on('error', () => fail('broke off its answer'));
      });
      request.end(payload);
    });
    if (status < 200 || status >= 300) throw new PairingAdapterError(this.endpoint.name, `answered HTTP ${status}`);
    if (raw.length === 0) return { status, body: undefined };
    try {
      return { status, body: JSON.parse(raw.toString('utf8')) as unknown };
    } catch {
      throw new PairingAdapterError(this.endpoint.name, 'answered with something that is not JSON');
    }
  }
}
