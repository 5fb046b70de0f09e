// Starts a CRL rebuild right after a revocation: an asynchronous invoke of the crl function (no waiting for the build).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { logger } from '../logger';
import type { RevocationListener } from '../system-auths/crl-keys';

/** The event the crl function takes from a revocation: rebuild this CA's CRL if a revocation is pending. */
export interface CrlRebuildRequest {
  caId: string;
}

export const isCrlRebuildRequest = (event: unknown): event is CrlRebuildRequest =>
  typeof (event as Partial<CrlRebuildRequest> | null)?.caId === 'string' && Object.keys(event as object).length === 1;

export class LambdaCrlTrigger implements RevocationListener {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async revoked(caId: string): Promise<void> {
    try {
      await this.lambda.send(new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ caId })) }));
    } catch (error) {
      // The revocation stands and its record is pending: the next scheduled run (every minute) builds the CRL.
      logger.warn('CRL rebuild could not be started; the schedule will build it', { caId, functionName: this.functionName, error });
    }
  }
}

/**
 * The trigger of a function's composition root: with CRL_FUNCTION_NAME set (serverless.yml sets it for every function,
 * `npm start` too) revocations start a rebuild; without it (tests in-process) they wait for the schedule.
 */
export function crlTriggerOf(lambda: () => LambdaClient, env: NodeJS.ProcessEnv = process.env): RevocationListener | undefined {
  const functionName = env.CRL_FUNCTION_NAME;
  if (!functionName) return undefined;
  return { revoked: (caId) => new LambdaCrlTrigger(lambda(), functionName).revoked(caId) };
}
