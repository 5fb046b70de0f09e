// The bench's cost model: DynamoDB's item-size rules and the arithmetic of a million requests and of a stack at rest.
import { CLIENT_SECRET_MODES, dynamoItemBytes, priceAtRest, priceMillion, US_EAST_1_PRICES, type OperationCost, type StackShape } from '../../../bench/cost-model';

const stack: StackShape = { memoryMb: { director: 512, tokens: 256 }, kmsKeys: 2, kmsSignKeySpec: (operation) => (operation === 'sign' ? 'RSA_2048' : 'ECC_NIST_P256') };

const cost = (operation: string, counts: Record<string, number>, rest: Partial<OperationCost> = {}): OperationCost => ({
  operation, counts: new Map(Object.entries(counts)), readUnits: 0, writeUnits: 0, wallMs: 0, logBytes: 0, ...rest,
});

test('item sizes follow DynamoDB: names plus values, numbers by digits, nested maps and lists with their overhead', () => {
  expect(dynamoItemBytes({ id: 'abc' })).toBe(2 + 3);
  expect(dynamoItemBytes({ n: 12345 })).toBe(1 + 4);
  expect(dynamoItemBytes({ ok: true, none: null })).toBe(2 + 1 + 4 + 1);
  expect(dynamoItemBytes({ m: { a: 'xy' } })).toBe(1 + 3 + 1 + 1 + 2);
  expect(dynamoItemBytes({ l: ['a', 'b'] })).toBe(1 + 3 + 2 * (1 + 1));
  expect(dynamoItemBytes({ 'ü': 'é' })).toBe(2 + 2);
});

test('a million requests: GB-seconds from memory and rounded-up wall time, units, KMS by key spec, one Lambda request per step', () => {
  const measured = new Map([
    ['read', cost('read', { 'DynamoDB GetItem': 2 }, { readUnits: 2, wallMs: 9.2, logBytes: 150 })],
    ['sign', cost('sign', { 'KMS Sign': 1, 'SecretsManager GetSecretValue': 1 }, { writeUnits: 4, wallMs: 20 })],
  ]);
  const bill = priceMillion(
    { name: 'both', steps: [{ operation: 'read', function: 'director', httpRequest: true }, { function: 'tokens', httpRequest: false }, { operation: 'sign', function: 'director', httpRequest: true }] },
    measured, stack, US_EAST_1_PRICES,
  );
  expect(bill.lambdaRequests).toBe(3_000_000);
  expect(bill.gbSeconds).toBeCloseTo(0.5 * 0.010 * 1e6 + 0.5 * 0.020 * 1e6);
  expect(bill.readUnits).toBe(2e6);
  expect(bill.writeUnits).toBe(4e6);
  expect(bill.apiRequests).toBe(2e6);
  expect(bill.kmsCalls).toBe(1e6);
  expect(bill.parts.KMS).toBeCloseTo(100 * US_EAST_1_PRICES.kmsRsa2048Per10k);
  expect(bill.parts['Secrets Manager']).toBeCloseTo(100 * US_EAST_1_PRICES.secretsManagerPer10kCalls);
  expect(bill.total).toBeCloseTo(Object.values(bill.parts).reduce((a, b) => a + b, 0));
  expect(() => priceMillion({ name: 'x', steps: [{ operation: 'missing', function: 'director', httpRequest: true }] }, measured, stack, US_EAST_1_PRICES)).toThrow('the bench did not measure "missing"');
});

test('at rest: per-secret and per-key prices, storage with 100 bytes of overhead per stored item', () => {
  const rest = priceAtRest(10_000, [{ kind: 'oauth', items: 2, bytes: 900, secrets: 1 }, { kind: 'cert', items: 1, bytes: 400, secrets: 0 }], stack, US_EAST_1_PRICES);
  expect(rest.parts['Secrets Manager secrets']).toBeCloseTo(5_000 * 0.4);
  expect(rest.parts['KMS keys']).toBe(2);
  expect(rest.storageGb).toBeCloseTo((5_000 * (900 + 200) + 5_000 * (400 + 100)) / 1024 ** 3);
});

test('at rest in verifier mode: no secret per OAuth client, one more key for the stage', () => {
  const kinds = [{ kind: 'oauth', items: 2, bytes: 900, secrets: 1 }, { kind: 'cert', items: 1, bytes: 400, secrets: 0 }];
  const verifier = CLIENT_SECRET_MODES.find((mode) => mode.name === 'verifier')!;
  const rest = priceAtRest(100_000, kinds, stack, US_EAST_1_PRICES, verifier);
  expect(rest.mode).toBe('verifier');
  expect(rest.parts['Secrets Manager secrets']).toBe(0);
  expect(rest.parts['KMS keys']).toBe(3);
  expect(rest.total).toBeLessThan(5);
  expect(priceAtRest(100_000, kinds, stack, US_EAST_1_PRICES).parts['Secrets Manager secrets']).toBeCloseTo(50_000 * 0.4);
});
