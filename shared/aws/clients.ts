// AWS SDK clients, created once per process. Endpoints come from the SDK's standard
// AWS_ENDPOINT_URL_* variables, so local AWS needs no code path of its own.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let documentClient: DynamoDBDocumentClient | undefined;
let secretsClient: SecretsManagerClient | undefined;
let lambdaClient: LambdaClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function secretsManager(): SecretsManagerClient {
  secretsClient ??= new SecretsManagerClient({});
  return secretsClient;
}

export function lambda(): LambdaClient {
  lambdaClient ??= new LambdaClient({});
  return lambdaClient;
}

/** Forget the clients (tests that point the SDK at other endpoints). */
export function resetClients(): void {
  documentClient = undefined;
  secretsClient = undefined;
  lambdaClient = undefined;
}
