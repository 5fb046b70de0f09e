// The Director's side of token issuance: a TokenIssuer, and the one that invokes the `tokens` function through the Lambda API.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { InternalError } from '../errors';
import { logger } from '../logger';
import type { TokenIssuance, TokenIssuanceRequest } from './issuance';

export interface TokenIssuer {
  issue(request: TokenIssuanceRequest): Promise<TokenIssuance>;
}

/** The error Lambda answers (HTTP 429) when it refuses an invoke for want of concurrency, without running the function. */
const LAMBDA_THROTTLED = 'TooManyRequestsException';

const isIssuance = (value: unknown): value is TokenIssuance => {
  const v = value as Partial<TokenIssuance> | null;
  return typeof v?.token === 'string' && typeof v.expiresAt === 'string';
};

/**
 * Invokes the tokens function synchronously. Locally the SDK reaches serverless-offline's Lambda endpoint through
 * AWS_ENDPOINT_URL_LAMBDA. Any failure is an InternalError: the caller did nothing wrong.
 */
export class LambdaTokenIssuer implements TokenIssuer {
  constructor(
    /** A client without retries (shared/aws/clients.ts): an invoke whose answer got lost may have issued a token. */
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async issue(request: TokenIssuanceRequest): Promise<TokenIssuance> {
    const functionName = this.functionName;
    let payload: unknown;
    try {
      const out = await this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(request)),
        }),
      );
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      if (out.FunctionError) {
        // The error payload is {errorType, errorMessage, ...}: no token in it, safe to log.
        logger.error('token issuance function failed', { functionName, functionError: out.FunctionError, payload: text.slice(0, 1000) });
        throw new InternalError('Could not issue a one-time token');
      }
      payload = JSON.parse(text);
    } catch (error) {
      if (error instanceof InternalError) throw error;
      if ((error as { name?: unknown } | null)?.name === LAMBDA_THROTTLED) {
        // The function's reserved concurrency (serverless.yml) is in use: Lambda ran nothing, asking again later is safe.
        logger.warn('token issuance function throttled', { functionName });
        throw new InternalError('One-time token issuance is at its concurrency limit: nothing was created, try again in a few seconds', { cause: error });
      }
      logger.error('token issuance function could not be invoked', { functionName, error });
      throw new InternalError('Could not issue a one-time token', { cause: error });
    }
    if (!isIssuance(payload)) {
      logger.error('token issuance function answered in an unexpected shape', { functionName });
      throw new InternalError('Could not issue a one-time token');
    }
    return payload;
  }
}
