// Test helpers around the local AWS that global-setup.ts starts: its environment, and fresh names per test.
import crypto from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { testLogLevel } from './log-records';
import { aws } from '../../functions/container';

/** Key on globalThis under which global setup leaves the started services for global teardown. */
export const LOCAL_AWS_HANDLES = '__pairingServiceLocalAws';

/** The environment every test worker gets: SDK endpoints of the local AWS, dummy credentials, stage `test` and its base URL. */
export function testEnvironment(dynamoEndpoint: string, motoEndpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: motoEndpoint,
    AWS_ENDPOINT_URL_KMS: motoEndpoint,
    STAGE: 'test',
    // The base URL every deployed stage has (shared/http.ts derives one from the request on the local stage only);
    // the tests' API Gateway events name the same host.
    PUBLIC_BASE_URL: 'https://api.example.test',
    POWERTOOLS_LOG_LEVEL: testLogLevel(),
  };
}

/** The local AWS endpoints of this test run; throws when the tests run without the global setup. */
export function localAwsEndpoints(): { dynamodb: string; secretsManager: string } {
  const dynamodb = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const secretsManager = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (!dynamodb || !secretsManager) throw new Error('local AWS is not running: run the tests with jest (test/support/global-setup.ts)');
  return { dynamodb, secretsManager };
}

/** A tenant name no other test uses (tests share one database and never reset it). */
export function freshTenant(prefix = 't'): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

/** Every item of a table (tests that prove something appears nowhere in DynamoDB). */
export async function scanAll(tableName: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await aws.dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Whether Secrets Manager (moto) holds a secret of this name (tests that prove none is left behind). */
export async function secretExists(name: string): Promise<boolean> {
  return aws.secretsManager.send(new GetSecretValueCommand({ SecretId: name })).then(
    () => true,
    (error: { name?: string }) => {
      if (error.name === 'ResourceNotFoundException') return false;
      throw error;
    },
  );
}
