// The CRL settings from the environment (serverless.yml sets them in AWS, `npm start` locally), checked by name.

export interface CrlEnvironment {
  /** The bucket holding crl/<caId>.crl (CRL_BUCKET). */
  bucket: string;
  /** nextUpdate - thisUpdate (CRL_NEXT_UPDATE_HOURS, default 24). */
  nextUpdateMs: number;
  /** The function that builds CRLs (CRL_FUNCTION_NAME), invoked asynchronously after each revocation. */
  functionName: string;
  /** Absolute base URL of the public API (PUBLIC_BASE_URL): CRLs are served at <base>/crl/<caId>.crl. */
  publicBaseUrl: string;
}

const HOUR_MS = 3_600_000;

export function crlEnvironment(env: NodeJS.ProcessEnv = process.env): CrlEnvironment {
  const stage = env.STAGE ?? 'local';
  const hoursText = env.CRL_NEXT_UPDATE_HOURS ?? '24';
  const hours = Number(hoursText);
  // At least an hour (the schedule rebuilds at half of it), at most 7 days (a relying party's cache then goes stale for days).
  if (!/^\d+(\.\d+)?$/.test(hoursText) || hours < 1 || hours > 168) {
    throw new Error(`CRL_NEXT_UPDATE_HOURS must be a number of hours from 1 to 168, got ${JSON.stringify(hoursText)}`);
  }
  return {
    bucket: env.CRL_BUCKET ?? '',
    nextUpdateMs: hours * HOUR_MS,
    functionName: env.CRL_FUNCTION_NAME || `pairing-service-${stage}-crl`,
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? '').replace(/\/+$/, ''),
  };
}

export { crlUrl } from '../certificates/crl';
