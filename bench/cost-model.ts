// The cost model of `npm run bench -- operation`: what 1 million of each kind of request and a stack at rest cost at
// AWS list prices, computed from what the bench counted (calls, capacity units DynamoDB reported, handler time, log
// bytes, stored bytes) and from the stack's own resources (memory sizes in serverless.yml). Nothing here is guessed
// per operation; the assumptions are the prices and the few constants named below.

/** AWS list prices in USD. */
export interface PriceList {
  region: string;
  /** Where the prices come from and when they were read. */
  source: string;
  lambdaGbSecond: number;
  lambdaPerMillionRequests: number;
  apiGatewayRestPerMillion: number;
  dynamoPerMillionWriteUnits: number;
  dynamoPerMillionReadUnits: number;
  dynamoStorageGbMonth: number;
  dynamoPitrGbMonth: number;
  secretMonth: number;
  secretsManagerPer10kCalls: number;
  kmsKeyMonth: number;
  /** Sign/GetPublicKey with an ECC or RSA 3072/4096 key; RSA 2048 is billed like symmetric requests. */
  kmsAsymmetricPer10k: number;
  kmsRsa2048Per10k: number;
  logsIngestGb: number;
}

// Read 2026-11-29 from AWS's public pricing pages (stored copies: aws.amazon.com/{lambda,api-gateway,dynamodb,
// secrets-manager,kms,cloudwatch}/pricing and the "How AWS Pricing Works" whitepaper), which list us-east-1.
// The stack deploys to eu-central-1 by default, whose prices are somewhat higher for API Gateway, DynamoDB and
// CloudWatch Logs (Lambda, Secrets Manager and KMS cost the same there): re-price with the AWS Price List API
// (`aws pricing get-products --region us-east-1 --service-code AmazonDynamoDB ...`) before budgeting.
export const US_EAST_1_PRICES: PriceList = {
  region: 'us-east-1',
  source: 'AWS list prices for us-east-1, read 2026-11-29',
  lambdaGbSecond: 0.0000133334, // arm64, first 7.5 billion GB-s a month
  lambdaPerMillionRequests: 0.2,
  apiGatewayRestPerMillion: 3.5, // first 333 million a month
  dynamoPerMillionWriteUnits: 0.625, // on-demand, Standard table class
  dynamoPerMillionReadUnits: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  secretMonth: 0.4,
  secretsManagerPer10kCalls: 0.05,
  kmsKeyMonth: 1,
  kmsAsymmetricPer10k: 0.15,
  kmsRsa2048Per10k: 0.03,
  logsIngestGb: 0.5,
};

/** Lambda bills each invocation's duration rounded up to the millisecond; every invocation also logs START/END/REPORT. */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 350;
/** DynamoDB bills 100 bytes of index overhead per stored item (and per copy in a GSI). */
const DYNAMO_ITEM_OVERHEAD_BYTES = 100;

/** What one request of an operation did, as the bench measured it. */
export interface OperationCost {
  operation: string;
  /** `service Command` → calls, e.g. `KMS Sign` → 1. */
  counts: ReadonlyMap<string, number>;
  readUnits: number;
  writeUnits: number;
  /** Handler wall time in-process against local AWS (the emulators answer a call in 5-10 ms, about AWS's in-region latency). */
  wallMs: number;
  logBytes: number;
}

/** One kind of request the model prices: the operations it consists of, and per operation the function that runs it. */
export interface Scenario {
  name: string;
  /** A step without an operation is an invocation whose work the previous step's measurement already holds. */
  steps: Array<{ operation?: string; function: string; httpRequest: boolean }>;
}

export interface StackShape {
  /** memorySize (MB) of each function in serverless.yml. */
  memoryMb: Record<string, number>;
  /** KMS keys the stack keeps (CA and token signing). */
  kmsKeys: number;
  /** The KMS key spec that signs each `KMS Sign` call, for its price. */
  kmsSignKeySpec: (operation: string) => string;
}

const usd = (value: number): string => (value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`);

export interface MillionRequests {
  scenario: string;
  lambdaRequests: number;
  gbSeconds: number;
  readUnits: number;
  writeUnits: number;
  secretsCalls: number;
  kmsCalls: number;
  apiRequests: number;
  logGb: number;
  total: number;
  parts: Record<string, number>;
}

/** The bill of one million requests of the scenario. */
export function priceMillion(scenario: Scenario, measured: ReadonlyMap<string, OperationCost>, stack: StackShape, prices: PriceList): MillionRequests {
  const million = 1_000_000;
  let gbSeconds = 0;
  let readUnits = 0;
  let writeUnits = 0;
  let secretsCalls = 0;
  let kmsCalls = 0;
  let kmsUsd = 0;
  let logBytes = 0;
  let apiRequests = 0;
  for (const step of scenario.steps) {
    const memory = stack.memoryMb[step.function];
    if (memory === undefined) throw new Error(`serverless.yml has no function "${step.function}"`);
    if (step.operation === undefined) continue;
    const cost = measured.get(step.operation);
    if (!cost) throw new Error(`the bench did not measure "${step.operation}"`);
    gbSeconds += (memory / 1024) * (Math.ceil(cost.wallMs) / 1000) * million;
    readUnits += cost.readUnits * million;
    writeUnits += cost.writeUnits * million;
    logBytes += (cost.logBytes + PLATFORM_LOG_BYTES_PER_INVOCATION) * million;
    if (step.httpRequest) apiRequests += million;
    for (const [call, count] of cost.counts) {
      if (call.startsWith('SecretsManager ')) secretsCalls += count * million;
      if (call.startsWith('KMS ')) {
        kmsCalls += count * million;
        const perTenK = stack.kmsSignKeySpec(step.operation) === 'RSA_2048' ? prices.kmsRsa2048Per10k : prices.kmsAsymmetricPer10k;
        kmsUsd += ((count * million) / 10_000) * perTenK;
      }
    }
  }
  const lambdaRequests = scenario.steps.length * million;
  const logGb = logBytes / 1024 ** 3;
  const parts = {
    Lambda: gbSeconds * prices.lambdaGbSecond + (lambdaRequests / million) * prices.lambdaPerMillionRequests,
    'API Gateway': (apiRequests / million) * prices.apiGatewayRestPerMillion,
    DynamoDB: (readUnits / million) * prices.dynamoPerMillionReadUnits + (writeUnits / million) * prices.dynamoPerMillionWriteUnits,
    'Secrets Manager': (secretsCalls / 10_000) * prices.secretsManagerPer10kCalls,
    KMS: kmsUsd,
    'CloudWatch Logs': logGb * prices.logsIngestGb,
  };
  const total = Object.values(parts).reduce((sum, part) => sum + part, 0);
  return { scenario: scenario.name, lambdaRequests, gbSeconds, readUnits, writeUnits, secretsCalls, kmsCalls, apiRequests, logGb, total, parts };
}

/** What one paired application keeps stored, measured by the bench. */
export interface StoredPerApplication {
  kind: string;
  items: number;
  /** Item bytes by DynamoDB's size rules, base tables and GSI copies together. */
  bytes: number;
  secrets: number;
}

export interface AtRest {
  /** The client-secret mode (ClientSecretMode.name). */
  mode: string;
  applications: number;
  storageGb: number;
  total: number;
  parts: Record<string, number>;
}

/**
 * How the stage keeps OAuth client secrets (the deployment parameter clientSecretStore): `secrets-manager` stores a
 * secret per client, as the bench measured; `verifier` stores a keyed verifier in the SystemAuth item, so no secret per
 * client (`secretsPerOAuthClient` 0) and one key for the whole stage.
 */
export interface ClientSecretMode {
  name: string;
  /** Undefined: what the bench measured (CreateSecret calls of a pairing). */
  secretsPerOAuthClient?: number;
  /** Keys the mode adds once per stage, priced as KMS keys (a KMS HMAC key; a Secrets Manager secret would be $0.40). */
  stageKeys: number;
}

export const CLIENT_SECRET_MODES: readonly ClientSecretMode[] = [
  { name: 'secrets-manager', stageKeys: 0 },
  { name: 'verifier', secretsPerOAuthClient: 0, stageKeys: 1 },
];

/** The monthly bill with nothing running, for `applications` paired applications split evenly over the kinds. */
export function priceAtRest(applications: number, perApplication: StoredPerApplication[], stack: StackShape, prices: PriceList, mode: ClientSecretMode = CLIENT_SECRET_MODES[0]!): AtRest {
  const each = applications / perApplication.length;
  let bytes = 0;
  let secrets = 0;
  for (const kind of perApplication) {
    bytes += each * (kind.bytes + kind.items * DYNAMO_ITEM_OVERHEAD_BYTES);
    // Only OAuth clients hold secrets: a mode's figure replaces the measured one for the kinds that have any.
    secrets += each * (kind.secrets > 0 && mode.secretsPerOAuthClient !== undefined ? mode.secretsPerOAuthClient : kind.secrets);
  }
  const storageGb = bytes / 1024 ** 3;
  const parts = {
    'DynamoDB storage': storageGb * prices.dynamoStorageGbMonth,
    'point-in-time recovery': storageGb * prices.dynamoPitrGbMonth,
    'Secrets Manager secrets': secrets * prices.secretMonth,
    'KMS keys': (stack.kmsKeys + mode.stageKeys) * prices.kmsKeyMonth,
  };
  return { mode: mode.name, applications, storageGb, total: Object.values(parts).reduce((sum, part) => sum + part, 0), parts };
}

/**
 * What docs/cost-model.md measured for 1 million requests on 2026-11-29, before issue 27: printed beside each new figure.
 * Its write units are DynamoDB Local's reported ones (bench/write-units.ts says why they differ from what AWS bills).
 */
export const BEFORE_ISSUE_27: Readonly<Record<string, { total: number; readUnits: number; writeUnits: number }>> = {
  '1M mTLS Director reads': { total: 4.37, readUnits: 3, writeUnits: 0 },
  '1M token grants': { total: 20.67, readUnits: 1, writeUnits: 2 },
  '1M certificate pairings': { total: 64.67, readUnits: 3, writeUnits: 74 },
};

/** Prints both tables the way docs/cost-model.md quotes them. */
export function printCostModel(millions: MillionRequests[], atRest: AtRest[], prices: PriceList): void {
  console.log(`  cost of 1 million requests (${prices.source}):`);
  for (const bill of millions) {
    const parts = Object.entries(bill.parts).filter(([, value]) => value > 0).map(([name, value]) => `${name} ${usd(value)}`).join(', ');
    const before = BEFORE_ISSUE_27[bill.scenario];
    const was = before ? ` (before issue 27: ${usd(before.total)}, ${before.readUnits} RRU and ${before.writeUnits} WRU each as DynamoDB Local reported them)` : '';
    console.log(`    ${bill.scenario}: ${usd(bill.total)}${was} — ${parts}`);
    console.log(
      `      ${bill.lambdaRequests / 1e6}M Lambda requests, ${Math.round(bill.gbSeconds).toLocaleString('en')} GB-s, ` +
        `${(bill.readUnits / 1e6).toFixed(1)}M RRU, ${(bill.writeUnits / 1e6).toFixed(1)}M WRU, ` +
        `${(bill.secretsCalls / 1e6).toFixed(2)}M Secrets Manager calls, ${(bill.kmsCalls / 1e6).toFixed(1)}M KMS calls, ` +
        `${bill.apiRequests / 1e6}M API Gateway requests, ${bill.logGb.toFixed(2)} GB of logs`,
    );
  }
  console.log('  cost a month at rest (half OAuth clients, half certificates), by client-secret mode:');
  for (const rest of atRest) {
    const parts = Object.entries(rest.parts).map(([name, value]) => `${name} ${usd(value)}`).join(', ');
    console.log(`    ${rest.mode}, ${rest.applications.toLocaleString('en')} applications: ${usd(rest.total)} — ${parts} (${rest.storageGb.toFixed(3)} GB stored)`);
  }
}

/** The size DynamoDB bills for an item (attribute names plus values, by the rules of its developer guide). */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/[-.]/g, '').replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, member) => sum + valueBytes(member), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, member) => sum + 1 + valueBytes(member), 0);
  if (typeof value === 'object') return 3 + Object.entries(value).reduce((sum, [name, member]) => sum + Buffer.byteLength(name) + 1 + valueBytes(member), 0);
  return 0;
}
