// The `tokens` Lambda: issues one one-time token per invocation (Lambda Invoke from the Director only; no HTTP route).
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { issueTokenFor, parseTokenIssuanceRequest, type TokenIssuance } from '../../shared/one-time-tokens/issuance';

/** A thrown error reaches the invoker as a FunctionError, which the Director reports as INTERNAL. */
export async function handler(event: unknown, context?: Context): Promise<TokenIssuance> {
  if (context) logger.addContext(context);
  return issueTokenFor(parseTokenIssuanceRequest(event));
}
