// AWS SDK clients of one composition root, every call bounded in time (Config.aws). Endpoints come from
// the SDK's standard AWS_ENDPOINT_URL_* variables, so local AWS needs no code path of its own. With tracing on, every
// call is an X-Ray subsegment (shared/observability/tracing.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCallLimits } from '../config';
import { tracedClient } from '../observability/tracing';

/**
 * Options of the SDK's Node HTTP handler. Without throwOnRequestTimeout a passed requestTimeout only
 * logs a warning (@smithy/node-http-handler 4.x) and the call keeps waiting.
 */
function requestHandler(limits: AwsCallLimits, requestTimeoutMs: number) {
  return { connectionTimeout: limits.connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true };
}

/** Client options of DynamoDB, Secrets Manager and KMS: short attempts, one retry (a timed-out attempt counts as transient). */
export function boundedCalls(limits: AwsCallLimits) {
  return { requestHandler: requestHandler(limits, limits.requestTimeoutMs), maxAttempts: limits.maxAttempts };
}

/**
 * The AWS clients of one composition root (one per container), each made on first use and then kept (an SDK client
 * holds a connection pool). S3 is apart (s3.ts): only the functions that touch a bucket bundle its SDK. Repositories, stores and signers are handed the client they use, or this object when they
 * must see a client made anew after reset().
 */
export class AwsClients {
  #dynamo: DynamoDBDocumentClient | undefined;
  #lambda: LambdaClient | undefined;
  #eventLambda: LambdaClient | undefined;
  #secretsManager: SecretsManagerClient | undefined;
  #kms: KMSClient | undefined;

  /** `limits` is read when a client is made: a composition may be built before its environment is complete. */
  constructor(private readonly limits: () => AwsCallLimits) {}

  get dynamo(): DynamoDBDocumentClient {
    this.#dynamo ??= DynamoDBDocumentClient.from(tracedClient(new DynamoDBClient(boundedCalls(this.limits()))), {
      marshallOptions: { removeUndefinedValues: true },
    });
    return this.#dynamo;
  }

  get lambda(): LambdaClient {
    this.#lambda ??= tracedClient(
      new LambdaClient({
        requestHandler: requestHandler(this.limits(), this.limits().tokensInvokeTimeoutMs),
        // No retry: an invoke whose answer timed out or got lost may have run, and a second run would
        // issue a second token the caller never sees; the caller gets an error and may ask again.
        maxAttempts: 1,
      }),
    );
    return this.#lambda;
  }

  /**
   * For asynchronous invokes (InvocationType Event): Lambda only queues the event, so the call is bounded like any
   * other AWS call, never by the synchronous invoke's long timeout. Without the bound a stalled queueing call would
   * hold the caller (a revocation) past its own timeout.
   */
  get eventLambda(): LambdaClient {
    this.#eventLambda ??= tracedClient(new LambdaClient(boundedCalls(this.limits())));
    return this.#eventLambda;
  }

  get secretsManager(): SecretsManagerClient {
    this.#secretsManager ??= tracedClient(new SecretsManagerClient(boundedCalls(this.limits())));
    return this.#secretsManager;
  }

  get kms(): KMSClient {
    this.#kms ??= tracedClient(new KMSClient(boundedCalls(this.limits())));
    return this.#kms;
  }

  /** Forgets the clients made so far (tests that point the SDK at other endpoints). */
  reset(): void {
    this.#dynamo = undefined;
    this.#lambda = undefined;
    this.#eventLambda = undefined;
    this.#secretsManager = undefined;
    this.#kms = undefined;
  }
}

/** What a consumer of Secrets Manager holds: read per call, so a reset() reaches it. */
export type SecretsManagerClients = Pick<AwsClients, 'secretsManager'>;
/** What a consumer of KMS holds: read per call, so a reset() reaches it. */
export type KmsClients = Pick<AwsClients, 'kms'>;
