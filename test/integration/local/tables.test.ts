// The test setup creates the `test` stage's tables from serverless.yml: keys, indexes and TTL as declared.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createStageTables, localDynamoClient } from '../../../local/tables';
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

  test('creating the tables again leaves the existing ones as they are', async () => {
    const names = await createStageTables('test', localAwsEndpoints().dynamodb);
    expect(Object.values(names).sort()).toEqual([
      'pairing-service-test-applications',
      'pairing-service-test-system-auths',
      'pairing-service-test-tokens',
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'pairing-service-test-tokens' }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});
