// Creates the DynamoDB tables declared in serverless.yml (the single definition) in a local DynamoDB.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type BillingMode,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type ProvisionedThroughput,
} from '@aws-sdk/client-dynamodb';
import { projectRoot } from './aws-services';
import { lastLine, LocalStackError } from './processes';

const run = promisify(execFile);

/** The CloudFormation properties of AWS::DynamoDB::Table that shape the data (see tableDefinition). */
export interface CfnTableProperties {
  TableName?: unknown;
  KeySchema?: KeySchemaElement[];
  AttributeDefinitions?: AttributeDefinition[];
  BillingMode?: BillingMode;
  ProvisionedThroughput?: ProvisionedThroughput;
  GlobalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection; ProvisionedThroughput?: ProvisionedThroughput }>;
  LocalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection }>;
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  /** Operational properties (PointInTimeRecoverySpecification, SSESpecification, Tags...): not needed locally. */
  [other: string]: unknown;
}

interface CfnResource {
  Type?: string;
  Properties?: CfnTableProperties;
}

/** A table to create: the CreateTable input and, when the table has one, its TTL attribute. */
export interface TableDefinition {
  logicalId: string;
  createTable: CreateTableCommandInput & { TableName: string };
  timeToLiveAttribute?: string;
}

/**
 * `resources.Resources` of serverless.yml with the stage's variables resolved, as `serverless print`
 * prints it. The result is cached in .cache keyed by serverless.yml's content and the stage, because
 * printing takes seconds and the tests start local AWS on every run.
 */
export async function printResources(stage: string, root = projectRoot): Promise<Record<string, CfnResource>> {
  const yml = fs.readFileSync(path.join(root, 'serverless.yml'));
  const key = crypto.createHash('sha256').update(yml).update('\0').update(stage).digest('hex').slice(0, 32);
  const cacheDir = path.join(root, '.cache', 'serverless-print');
  const cacheFile = path.join(cacheDir, `${key}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, CfnResource>;

  let printed: string;
  try {
    const out = await run(
      path.join(root, 'node_modules', '.bin', 'serverless'),
      ['print', '--stage', stage, '--format', 'json', '--path', 'resources.Resources'],
      { cwd: root, maxBuffer: 16 << 20 },
    );
    printed = out.stdout;
  } catch (error) {
    const output = String((error as { stderr?: unknown }).stderr ?? '') + String((error as { stdout?: unknown }).stdout ?? '');
    throw new LocalStackError(`serverless print of the tables (stage ${stage}) failed: ${output.trim() ? lastLine(output) : (error as Error).message}`);
  }
  let resources: Record<string, CfnResource>;
  try {
    resources = JSON.parse(printed) as Record<string, CfnResource>;
  } catch {
    throw new LocalStackError(`serverless print of the tables (stage ${stage}) did not print JSON`);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const partial = `${cacheFile}.${process.pid}.tmp`;
  fs.writeFileSync(partial, JSON.stringify(resources));
  fs.renameSync(partial, cacheFile);
  return resources;
}

/**
 * The CreateTable input of one AWS::DynamoDB::Table. Only what shapes the data is mapped: keys,
 * attributes, billing, indexes and TTL. Point-in-time recovery, encryption, deletion protection,
 * tags, streams and the like are operational settings of the AWS table and are left out on purpose.
 */
export function tableDefinition(logicalId: string, properties: CfnTableProperties): TableDefinition {
  const { TableName, KeySchema, AttributeDefinitions } = properties;
  if (typeof TableName !== 'string' || !KeySchema || !AttributeDefinitions) {
    throw new LocalStackError(`${logicalId} in serverless.yml needs a literal TableName, KeySchema and AttributeDefinitions`);
  }
  const billingMode = properties.BillingMode ?? 'PROVISIONED';
  const provisioned = billingMode === 'PROVISIONED';
  const throughput = (declared?: ProvisionedThroughput): ProvisionedThroughput | undefined =>
    provisioned ? (declared ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 }) : undefined;

  const globalIndexes: GlobalSecondaryIndex[] | undefined = properties.GlobalSecondaryIndexes?.map((index) => ({
    IndexName: index.IndexName,
    KeySchema: index.KeySchema,
    Projection: index.Projection,
    ProvisionedThroughput: throughput(index.ProvisionedThroughput),
  }));
  const localIndexes: LocalSecondaryIndex[] | undefined = properties.LocalSecondaryIndexes?.map((index) => ({
    IndexName: index.IndexName,
    KeySchema: index.KeySchema,
    Projection: index.Projection,
  }));
  const ttl = properties.TimeToLiveSpecification;
  return {
    logicalId,
    createTable: {
      TableName,
      KeySchema,
      AttributeDefinitions,
      BillingMode: billingMode,
      ProvisionedThroughput: throughput(properties.ProvisionedThroughput),
      GlobalSecondaryIndexes: globalIndexes,
      LocalSecondaryIndexes: localIndexes,
    },
    timeToLiveAttribute: ttl?.Enabled && ttl.AttributeName ? ttl.AttributeName : undefined,
  };
}

/** Every AWS::DynamoDB::Table among the resources. */
export function tableDefinitions(resources: Record<string, CfnResource>): TableDefinition[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, resource]) => tableDefinition(logicalId, resource.Properties ?? {}));
}

const errorName = (error: unknown) => (error as { name?: string } | undefined)?.name;

/** Creates the table and enables its TTL; a table or TTL that already exists is left as it is. */
export async function createTable(client: DynamoDBClient, table: TableDefinition): Promise<void> {
  try {
    await client.send(new CreateTableCommand(table.createTable));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  const attribute = table.timeToLiveAttribute;
  if (!attribute) return;
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: table.createTable.TableName }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table.createTable.TableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    // Another process enabled it between our Describe and Update.
    if (!(errorName(error) === 'ValidationException' && /already enabled/i.test((error as Error).message))) throw error;
  }
}

/** A DynamoDB client for a local endpoint (dummy credentials: DynamoDB Local runs with -sharedDb). */
export function localDynamoClient(endpoint: string, region = 'eu-central-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** Creates every table of serverless.yml for `stage` in the DynamoDB at `endpoint`; returns the table names by logical id. */
export async function createStageTables(stage: string, endpoint: string): Promise<Record<string, string>> {
  const tables = tableDefinitions(await printResources(stage));
  const client = localDynamoClient(endpoint);
  try {
    await Promise.all(tables.map((table) => createTable(client, table)));
  } finally {
    client.destroy();
  }
  return Object.fromEntries(tables.map((table) => [table.logicalId, table.createTable.TableName]));
}
