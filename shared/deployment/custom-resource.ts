// Runs a CloudFormation custom resource request so that CloudFormation always gets an answer, in time, without secrets.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { logger } from '../logger';
import { responseDocument, sendResponse, type CustomResourceOutcome, type SendOptions } from './cfn-response';

/** A failure whose message is written for the stack events: it names what failed, never a secret. */
export class CustomResourceFailure extends Error {
  override readonly name = 'CustomResourceFailure';
}

/** What a resource does for one request; throwing fails the request. */
export type CustomResourceAction = (event: CloudFormationCustomResourceEvent) => Promise<CustomResourceOutcome>;

export interface CustomResourceOptions {
  /** Answer FAILED this long before the Lambda times out, if the action has not finished by then. */
  responseMarginMs?: number;
  send?: SendOptions;
}

/** The physical id CloudFormation already knows, or the new one for a Create. */
export const physicalResourceIdOf = (event: CloudFormationCustomResourceEvent, newId: string): string =>
  event.RequestType === 'Create' ? newId : event.PhysicalResourceId;

function failureReason(error: unknown, context: Context): string {
  // Anything but a CustomResourceFailure may carry text we did not write (SDK messages, parser snippets).
  const what = error instanceof CustomResourceFailure ? error.message : 'internal error';
  return `${what} (details: CloudWatch Logs ${context.logGroupName} ${context.logStreamName})`;
}

/**
 * Runs the action and PUTs its outcome to the ResponseURL. A thrown error, or an action still running
 * when the Lambda is about to time out, is answered FAILED: without an answer the stack would hang
 * until the resource's ServiceTimeout. Resolves once the answer is delivered (or could not be).
 */
export async function answerCloudFormation(
  event: CloudFormationCustomResourceEvent,
  context: Context,
  newPhysicalId: () => string,
  action: CustomResourceAction,
  options: CustomResourceOptions = {},
): Promise<void> {
  const { responseMarginMs = 10_000 } = options;
  let physicalResourceId: string;
  try {
    physicalResourceId = physicalResourceIdOf(event, newPhysicalId());
  } catch {
    // The id is made from configuration; a broken configuration must still be answered.
    physicalResourceId = event.LogicalResourceId;
  }
  const failed = (reason: string): CustomResourceOutcome => ({ status: 'FAILED', physicalResourceId, reason });
  logger.info('custom resource request', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, physicalResourceId });

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CustomResourceOutcome>((resolve) => {
    const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - responseMarginMs);
    timer = setTimeout(() => {
      logger.error('custom resource did not finish in time', { requestType: event.RequestType, budgetMs });
      resolve(failed(`timed out after ${Math.round(budgetMs / 1000)} s (details: CloudWatch Logs ${context.logGroupName} ${context.logStreamName})`));
    }, budgetMs);
  });
  const work = Promise.resolve()
    .then(() => action(event))
    .catch((error: unknown): CustomResourceOutcome => {
      // Name and message of this error only: a cause chain may quote a secret's content.
      logger.error('custom resource failed', { requestType: event.RequestType, errorName: (error as Error)?.name, errorMessage: (error as Error)?.message });
      return failed(failureReason(error, context));
    });

  const outcome = await Promise.race([work, deadline]);
  clearTimeout(timer);
  try {
    await sendResponse(event.ResponseURL, responseDocument(event, outcome), options.send);
    logger.info('custom resource answered', { status: outcome.status, physicalResourceId: outcome.physicalResourceId });
  } catch (error) {
    // Nothing else can reach CloudFormation; the log is the last trace.
    logger.error('custom resource answer not delivered', { errorMessage: (error as Error).message });
  }
}
