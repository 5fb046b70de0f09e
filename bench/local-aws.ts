// The local AWS a bench section runs its handlers in-process against: DynamoDB Local and moto (Secrets Manager, KMS) on
// free ports, the stage's tables from serverless.yml, and the SDK's environment pointed at them until `stop`.
import { startDynamoDbLocal, startMoto, type LocalAwsService } from '../local/aws-services';
import { freePort } from '../local/processes';
import { createStageTables } from '../local/tables';

export interface BenchAws {
  /** Table names by logical id (serverless.yml), e.g. AuditTable. */
  tables: Record<string, string>;
  /** Stops both services and gives the process its environment back. */
  stop(): Promise<void>;
}

export async function startBenchAws(options: { stage: string; baseUrl: string; logLevel: 'INFO' | 'ERROR' }): Promise<BenchAws> {
  const started: LocalAwsService[] = [];
  const saved = { ...process.env };
  const stop = async () => {
    process.env = saved;
    await Promise.all(started.map((service) => service.stop()));
  };
  try {
    const [dynamoPort, motoPort] = [await freePort(), await freePort()];
    const [dynamoDb, moto] = await Promise.all([
      startDynamoDbLocal({ port: dynamoPort }).then((service) => (started.push(service), service)),
      startMoto({ port: motoPort }).then((service) => (started.push(service), service)),
    ]);
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint, AWS_ENDPOINT_URL_KMS: moto.endpoint,
      STAGE: options.stage, PUBLIC_BASE_URL: options.baseUrl, POWERTOOLS_LOG_LEVEL: options.logLevel,
    });
    return { tables: await createStageTables(options.stage, dynamoDb.endpoint), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
