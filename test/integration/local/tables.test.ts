// The test setup creates the `test` stage's tables from serverless.yml: keys, indexes and TTL as declared.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createStageTables, createTable, localDynamoClient, tableDefinition } from '../../../local/tables';
import { localAwsEndpoints } from '../../support/local-aws';

const client = localDynamoClient(localAwsEndpoints().dynamodb);
afterAll(() => client.destroy());

const describe_ = (TableName: string) => client.send(new DescribeTableCommand({ TableName })).then((out) => out.Table!);
const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) => schema?.map((k) => `${k.AttributeName}:${k.KeyType}`);

describe('tables created from serverless.yml for stage test', () => {
  test('Applications: tenant/id keys and the byCreated index, pay per request', async () => {
    const table = await describe_('pairing-service-test-applications');
    expect(keys(table.KeySchema)).toEqual(['tenant:HASH', 'id:RANGE']);
    expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byCreated');
    expect(keys(index?.KeySchema)).toEqual(['tenant:HASH', 'createdKey:RANGE']);
    expect(index?.Projection?.ProjectionType).toBe('ALL');
  });

  test('SystemAuths: id/sk keys and the byApplication index', async () => {
    const table = await describe_('pairing-service-test-system-auths');
    expect(keys(table.KeySchema)).toEqual(['id:HASH', 'sk:RANGE']);
    const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byApplication');
    expect(keys(index?.KeySchema)).toEqual(['appKey:HASH', 'id:RANGE']);
  });

  test('Tokens: tokenHash key and TTL enabled on expiresAt', async () => {
    const table = await describe_('pairing-service-test-tokens');
    expect(keys(table.KeySchema)).toEqual(['tokenHash:HASH']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'pairing-service-test-tokens' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  test('Audit: tenant/sk keys, the byApplication index on appKey/sk, and TTL enabled on expiresAt', async () => {
    const table = await describe_('pairing-service-test-audit');
    expect(keys(table.KeySchema)).toEqual(['tenant:HASH', 'sk:RANGE']);
    const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byApplication');
    expect(keys(index?.KeySchema)).toEqual(['appKey:HASH', 'sk:RANGE']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'pairing-service-test-audit' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  test('creating the tables again leaves the existing ones as they are', async () => {
    const names = await createStageTables('test', localAwsEndpoints().dynamodb);
    expect(Object.values(names).sort()).toEqual([
      'pairing-service-test-applications',
      'pairing-service-test-audit',
      'pairing-service-test-system-auths',
      'pairing-service-test-tokens',
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'pairing-service-test-tokens' }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});

describe('the CloudFormation mapping', () => {
  test('operational properties (PITR, SSE, deletion protection, tags, streams) are skipped and the table is still created', async () => {
    const TableName = `mapping-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const table = tableDefinition('MappingTable', {
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      Tags: [{ Key: 'service', Value: 'pairing-service' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(Object.keys(table.createTable).filter((k) => table.createTable[k as keyof typeof table.createTable] !== undefined).sort()).toEqual(
      ['AttributeDefinitions', 'BillingMode', 'KeySchema', 'TableName'],
    );
    await createTable(client, table);
    expect(keys((await describe_(TableName)).KeySchema)).toEqual(['pk:HASH']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });

  test('a PROVISIONED table gets throughput for the table and each index', () => {
    const table = tableDefinition('Provisioned', {
      TableName: 'provisioned-table',
      BillingMode: 'PROVISIONED',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'gk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 3 },
      GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    });
    expect(table.createTable.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
    expect(table.createTable.GlobalSecondaryIndexes?.[0].ProvisionedThroughput).toEqual({ ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  });

  test('a table without a literal name is a clear error', () => {
    expect(() => tableDefinition('Broken', { TableName: { 'Fn::Sub': '${AWS::StackName}-x' }, KeySchema: [], AttributeDefinitions: [] })).toThrow(
      'Broken in serverless.yml needs a literal TableName, KeySchema and AttributeDefinitions',
    );
  });
});
