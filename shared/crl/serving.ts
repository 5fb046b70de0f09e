// GET /crl/<caId>.crl: the CA's published CRL as DER, or 404 for anything else.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../logger';
import { CRL_CONTENT_TYPE, isCaId, type CrlStore } from './store';

/** Seconds a CRL may be cached: half the 60 s bound between a revocation and its CRL, so both together stay within 90 s. */
export const CRL_MAX_AGE_SECONDS = 30;

const notFound = (message: string): APIGatewayProxyResult => ({
  statusCode: 404,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  body: `${message}\n`,
});

export async function serveCrl(event: Pick<APIGatewayProxyEvent, 'pathParameters'>, store: CrlStore): Promise<APIGatewayProxyResult> {
  const file = event.pathParameters?.file ?? '';
  const caId = /^(.+)\.crl$/.exec(file)?.[1];
  if (!caId || !isCaId(caId)) return notFound('No such CRL: the path is /crl/<CA id>.crl, e.g. /crl/ca-1.crl');
  let der: Buffer | undefined;
  try {
    der = await store.get(caId);
  } catch (error) {
    logger.error('reading a CRL failed', { caId, error });
    return { statusCode: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' }, body: 'The CRL cannot be read right now: try again in a few seconds\n' };
  }
  if (!der) return notFound(`No CRL for CA ${caId}: there is no such CA, or its first CRL is not built yet`);
  return {
    statusCode: 200,
    headers: { 'Content-Type': CRL_CONTENT_TYPE, 'Cache-Control': `public, max-age=${CRL_MAX_AGE_SECONDS}` },
    body: der.toString('base64'),
    isBase64Encoded: true,
  };
}
