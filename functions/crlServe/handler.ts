// The `crlServe` Lambda: GET /crl/{file}, each CA's CRL from the bucket (reads only crl/*; signs nothing).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { observedHandler } from '../../shared/observability/invocation';
import { serveCrl } from '../../shared/crl/serving';
import { crlEnvironment } from '../../shared/crl/settings';
import { CrlStore } from '../../shared/crl/store';
import { aws } from '../container';

// The composition of this function: built once per container.
const settings = crlEnvironment();
const store = new CrlStore(aws.s3, settings.bucket);

export const handler = observedHandler('crlServe', (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  if (context) logger.addContext(context);
  return serveCrl(event, store);
});
