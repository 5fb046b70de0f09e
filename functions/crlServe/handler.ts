// The `crlServe` Lambda: GET /crl/{file}, each CA's CRL from the bucket (reads only crl/*; signs nothing).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { logger } from '../../shared/logger';
import { observedHandler } from '../../shared/observability/invocation';
import { tracedClient } from '../../shared/observability/tracing';
import { serveCrl } from '../../shared/crl/serving';
import { crlEnvironment } from '../../shared/crl/settings';
import { CrlStore } from '../../shared/crl/store';

// The composition of this function: built once per container.
const settings = crlEnvironment();
// S3 endpoints other than AWS's own (moto locally) serve buckets by path, not by host name.
const store = new CrlStore(tracedClient(new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined })), settings.bucket);

export const handler = observedHandler('crlServe', (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  if (context) logger.addContext(context);
  return serveCrl(event, store);
});
