// AWS SDK clients, created once per process, every call bounded in time (config().aws). Endpoints come from
// the SDK's standard AWS_ENDPOINT_URL_* variables, so local AWS needs no code path of its own. With tracing on, every
// call is an X-Ray subsegment (shared/observability/tracing.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '../config';
import { tracedClient } from '../observability/tracing';

let documentClient: DynamoDBDocumentClient | undefined;
let secretsClient: SecretsManagerClient | undefined;
let lambdaClient: LambdaClient | undefined;
let kmsClient: KMSClient | undefined;

/**
 * Options of the SDK's Node HTTP handler. Without throwOnRequestTimeout a passed requestTimeout only
 * logs a warning (@smithy/node-http-handler 4.x) and the call keeps waiting.
 */
function requestHandler(requestTimeoutMs: number) {
  return { connectionTimeout: config().aws.connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true };
}

/** Client options of DynamoDB, Secrets Manager and KMS: short attempts, one retry (a timed-out attempt counts as transient). */
function boundedCalls() {
  const limits = config().aws;
  return { requestHandler: requestHandler(limits.requestTimeoutMs), maxAttempts: limits.maxAttempts };
}

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(tracedClient(new DynamoDBClient(boundedCalls())), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function secretsManager(): SecretsManagerClient {
  secretsClient ??= tracedClient(new SecretsManagerClient(boundedCalls()));
  return secretsClient;
}

export function kms(): KMSClient {
  kmsClient ??= tracedClient(new KMSClient(boundedCalls()));
  return kmsClient;
}

export function lambda(): LambdaClient {
  lambdaClient ??= tracedClient(new LambdaClient({
    requestHandler: requestHandler(config().aws.tokensInvokeTimeoutMs),
    // No retry: an invoke whose answer timed out or got lost may have run, and a second run would
    // issue a second token the caller never sees; the caller gets an error and may ask again.
    maxAttempts: 1,
  }));
  return lambdaClient;
}

/** Forget the clients (tests that point the SDK at other endpoints). */
export function resetClients(): void {
  documentClient = undefined;
  secretsClient = undefined;
  lambdaClient = undefined;
  kmsClient = undefined;
}
