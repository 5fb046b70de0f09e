// AWS SDK clients, created once per process, every call bounded in time (config().aws). Endpoints come from
// the SDK's standard AWS_ENDPOINT_URL_* variables, so local AWS needs no code path of its own. With tracing on, every
// call is an X-Ray subsegment (shared/observability/tracing.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config, type AwsCallLimits } from '../config';
import { tracedClient } from '../observability/tracing';

let secretsClient: SecretsManagerClient | undefined;
let kmsClient: KMSClient | undefined;

/**
 * Options of the SDK's Node HTTP handler. Without throwOnRequestTimeout a passed requestTimeout only
 * logs a warning (@smithy/node-http-handler 4.x) and the call keeps waiting.
 */
function requestHandler(limits: AwsCallLimits, requestTimeoutMs: number) {
  return { connectionTimeout: limits.connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true };
}

/** Client options of DynamoDB, Secrets Manager and KMS: short attempts, one retry (a timed-out attempt counts as transient). */
function boundedCalls(limits: AwsCallLimits) {
  return { requestHandler: requestHandler(limits, limits.requestTimeoutMs), maxAttempts: limits.maxAttempts };
}

/**
 * The DynamoDB and Lambda clients of one composition root (one per container), each made on first use and then kept
 * (an SDK client holds a connection pool). Repositories and the token issuer are handed the client they use.
 */
export class AwsClients {
  #dynamo: DynamoDBDocumentClient | undefined;
  #lambda: LambdaClient | undefined;
  #eventLambda: LambdaClient | undefined;
  #s3: S3Client | undefined;

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

  /** S3, bounded like the others. Endpoints other than AWS's own (moto locally) serve buckets by path, not by host name. */
  get s3(): S3Client {
    this.#s3 ??= tracedClient(new S3Client({ ...boundedCalls(this.limits()), forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined }));
    return this.#s3;
  }

  /** Forgets the clients made so far (tests that point the SDK at other endpoints). */
  reset(): void {
    this.#dynamo = undefined;
    this.#lambda = undefined;
    this.#eventLambda = undefined;
    this.#s3 = undefined;
  }
}

export function secretsManager(): SecretsManagerClient {
  secretsClient ??= tracedClient(new SecretsManagerClient(boundedCalls(config().aws)));
  return secretsClient;
}

export function kms(): KMSClient {
  kmsClient ??= tracedClient(new KMSClient(boundedCalls(config().aws)));
  return kmsClient;
}

/** Forget the Secrets Manager and KMS clients (tests that point the SDK at other endpoints). */
export function resetClients(): void {
  secretsClient = undefined;
  kmsClient = undefined;
}
