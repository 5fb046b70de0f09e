// Pins the production stack: packages the service offline (`serverless package --stage prod`) and checks the CloudFormation template and the bundles.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { packageService as packageInto } from '../../local/packaging';
import { METRIC_OF_ACTION } from '../../shared/audit/metrics';
import { CA_KEY_ADMINISTRATION_ACTIONS } from '../../shared/certificates/ca-lifecycle';

const DOMAIN = 'pairing.example.com';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-central-1:123456789012:certificate/abc';
const DOMAIN_PARAMS = [`--param=domainName=${DOMAIN}`, `--param=certificateArn=${CERTIFICATE_ARN}`];
/** The packaging with the domain also keeps client secrets as verifiers, computed by the functions and this operator too. */
const SECRET_OPERATOR_ARN = 'arn:aws:iam::123456789012:role/pairing-operator';
const VERIFIER_PARAMS = ['--param=clientSecretStore=verifier', `--param=clientSecretOperatorArn=${SECRET_OPERATOR_ARN}`];
/** The packaging with the domain also subscribes an address to the alarm topic; the one without the domain does not. */
const ALARM_EMAIL = 'oncall@example.com';
// Packaging needs credentials to exist, never to work; these must not end up in the template.
const DUMMY_ACCESS_KEY = 'template-test-access-key';
const DUMMY_SECRET_KEY = 'template-test-secret-key';

const FUNCTIONS = ['director', 'oauth', 'tokens', 'connector', 'cockpit', 'bootstrap', 'crl', 'crlServe'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const logicalId = (fn: FunctionName) => `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
  Parameters?: Record<string, { Default?: string }>;
  Conditions?: Record<string, unknown>;
}
interface Packaged {
  dir: string;
  text: string;
  template: Template;
}

function packagingEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: DUMMY_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: DUMMY_SECRET_KEY };
  // serverless.yml reads these for the local stack; a developer's shell must not change the prod template.
  for (const name of ['PUBLIC_BASE_URL', 'MTLS_BASE_URL', 'LOG_LEVEL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  return { ...env, ...extra };
}

/** PUBLIC_BASE_URL in the deployer's shell, which a deployed stage must ignore. */
const SHELL_PUBLIC_BASE_URL = 'https://from-the-shell.example';
/** The stack's own API: what every deployed function must take as its base URL. */
const STACK_BASE_URL = { 'Fn::Sub': 'https://${ApiGatewayRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod' };

async function packageService(params: string[], extraEnv: Record<string, string> = {}): Promise<Packaged> {
  // Through local/packaging.ts: its own esbuild folder, and one packaging of this checkout at a time.
  const dir = await packageInto({ stage: 'prod', params, env: packagingEnvironment(extraEnv) });
  const text = fs.readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
  return { dir, text, template: JSON.parse(text) as Template };
}

// ---- a small evaluator of the template's parameters and conditions (with the packaged defaults) ----

function parameterValue(template: Template, name: string): string {
  const parameter = template.Parameters?.[name];
  if (parameter?.Default === undefined) throw new Error(`parameter ${name} has no default`);
  return parameter.Default;
}

function evaluate(template: Template, expression: unknown): unknown {
  if (typeof expression !== 'object' || expression === null) return expression;
  const [[fn, args]] = Object.entries(expression) as [[string, unknown]];
  const list = args as unknown[];
  switch (fn) {
    case 'Ref':
      return template.Parameters?.[args as string] ? parameterValue(template, args as string) : expression;
    case 'Condition':
      return conditionHolds(template, args as string);
    case 'Fn::Not':
      return !evaluate(template, list[0]);
    case 'Fn::Equals':
      return evaluate(template, list[0]) === evaluate(template, list[1]);
    case 'Fn::And':
      return list.every((item) => evaluate(template, item));
    case 'Fn::Or':
      return list.some((item) => evaluate(template, item));
    case 'Fn::If':
      return evaluate(template, conditionHolds(template, list[0] as string) ? list[1] : list[2]);
    case 'Fn::Sub':
      // Parameters only; pseudo parameters and resource attributes stay as they are.
      return (args as string).replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) =>
        template.Parameters?.[name] ? parameterValue(template, name) : whole,
      );
    default:
      return expression;
  }
}

function conditionHolds(template: Template, name: string): boolean {
  const condition = template.Conditions?.[name];
  if (condition === undefined) throw new Error(`condition ${name} is not defined`);
  return Boolean(evaluate(template, condition));
}

/** The resources CloudFormation would create with the packaged parameter defaults. */
function createdResources(template: Template): Record<string, Resource> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Condition === undefined || conditionHolds(template, r.Condition)));
}

function createdOutputs(template: Template): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.Outputs)
      .filter(([, output]) => output.Condition === undefined || conditionHolds(template, output.Condition))
      .map(([name, output]) => [name, evaluate(template, output.Value)]),
  );
}

// ---- IAM ----

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** A resource as readable text: "GetAtt:TokensTable.Arn", the Fn::Sub string, or the literal. */
function resourceText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const object = resource as Record<string, unknown>;
  if (Array.isArray(object['Fn::GetAtt'])) return `GetAtt:${(object['Fn::GetAtt'] as string[]).join('.')}`;
  if (typeof object['Fn::Sub'] === 'string') return object['Fn::Sub'];
  return JSON.stringify(resource);
}

/** ARN prefixes of this stage's secrets and log groups, shortened in the permission map (any other ARN stays whole). */
const ARN_ABBREVIATIONS: [string, string][] = [
  ['arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pairing-service/prod/', 'secret:'],
  ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/', 'log-group:'],
];

/** A resource as compact text: "GetAtt:TokensTable.Arn", "Sub:${ApplicationsTable.Arn}/index/byCreated", "Sub:secret:pairing-ca-??????". */
function compactResource(resource: unknown): string {
  const text = resourceText(resource);
  if (typeof (resource as Record<string, unknown>)['Fn::Sub'] !== 'string') return text;
  const [prefix, short] = ARN_ABBREVIATIONS.find(([arn]) => text.startsWith(arn)) ?? ['', ''];
  return `Sub:${short}${text.slice(prefix.length)}`;
}

/** Every IAM role of the template, each with the sorted "action resource" pairs it allows (logs included). */
function permissionsByRole(template: Template): Record<string, string[]> {
  const roles = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::IAM::Role');
  return Object.fromEntries(
    roles.map(([roleId]) => [
      roleId,
      statementsOf(template, roleId)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((r) => `${action} ${compactResource(r)}`)))
        .sort(),
    ]),
  );
}

function roleOf(template: Template, fn: FunctionName): string {
  const role = template.Resources[logicalId(fn)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

function statementsOf(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId]!;
  expect(role.Type).toBe('AWS::IAM::Role');
  expect(role.Properties!.ManagedPolicyArns ?? []).toEqual([]);
  const policies = role.Properties!.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** Every "action on resource" a function's role allows, except writing its own logs. */
function grantsOf(template: Template, fn: FunctionName): string[] {
  return statementsOf(template, roleOf(template, fn))
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((r) => `${action} ${resourceText(r)}`)))
    .filter((grant) => !grant.startsWith('logs:'))
    .sort();
}

// ---- API Gateway ----

/** A REST API resource's path, from its PathPart up to the API's root: "/cockpit/{asset}". */
function resourcePath(template: Template, reference: unknown): string {
  const id = (reference as { Ref?: string }).Ref;
  if (id === undefined) return ''; // Fn::GetAtt [ApiGatewayRestApi, RootResourceId]
  const resource = template.Resources[id]!;
  return `${resourcePath(template, resource.Properties!.ParentId)}/${resource.Properties!.PathPart as string}`;
}

/** "METHOD /path" of every API Gateway method whose integration invokes the function. */
function routesOf(template: Template, fn: FunctionName): string[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method' && JSON.stringify(r.Properties!.Integration).includes(`"${logicalId(fn)}"`))
    .map((r) => `${r.Properties!.HttpMethod as string} ${resourcePath(template, r.Properties!.ResourceId)}`)
    .sort();
}

/**
 * Every role of the template and exactly what it may do ("action resource", sorted), written out so that any
 * widening is a visible change of this list in review. Why each grant exists: docs/design.md "Trust boundaries"
 * and the comment on each statement in serverless.yml. "Sub:secret:" is this stage's secret ARN prefix
 * (arn:...:secret:pairing-service/prod/); "-??????" is the random suffix Secrets Manager appends to a name.
 */
const EXPECTED_PERMISSIONS: Record<string, string[]> = {
  // The framework's default role: no function uses it (each has its own), and it may only write logs (and traces:
  // serverless adds the X-Ray actions to it for provider.tracing.lambda; the functions' roles get them from custom.xrayTracing).
  IamRoleLambdaExecution: [
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod*:*:*',
    'logs:TagResource Sub:log-group:pairing-service-prod*:*',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  DirectorIamRoleLambdaExecution: [
    // Certificate authentication: the record, SystemAuth and application in one round trip.
    'dynamodb:BatchGetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:BatchGetItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:DeleteItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:DeleteItem GetAtt:SystemAuthsTable.Arn',
    // Revoking a certificate SystemAuth deletes its one-time tokens; it never writes one (the tokens function does).
    'dynamodb:DeleteItem GetAtt:TokensTable.Arn',
    'dynamodb:GetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:GetItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:PutItem GetAtt:ApplicationsTable.Arn',
    // Audit events: appended, and read back by auditEvents (the tenant's trail and the byApplication index).
    'dynamodb:PutItem GetAtt:AuditTable.Arn',
    'dynamodb:PutItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:Query GetAtt:AuditTable.Arn',
    'dynamodb:Query GetAtt:SystemAuthsTable.Arn',
    'dynamodb:Query Sub:${ApplicationsTable.Arn}/index/byCreated',
    'dynamodb:Query Sub:${AuditTable.Arn}/index/byApplication',
    'dynamodb:Query Sub:${SystemAuthsTable.Arn}/index/byApplication',
    'dynamodb:UpdateItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    // Revoking certificates (unpair, unregister, revokeIssuedCertificate) starts their CA's CRL rebuild.
    'lambda:InvokeFunction GetAtt:CrlLambdaFunction.Arn',
    'lambda:InvokeFunction GetAtt:TokensLambdaFunction.Arn',
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-director:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-director:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-director:*:*',
    'secretsmanager:CreateSecret Sub:secret:oauth-clients/*',
    'secretsmanager:DeleteSecret Sub:secret:oauth-clients/*',
    // Verifying only, so public material only: the CA registry (certificates, key ARNs), never token-signing-keys.
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-registry-??????',
    'secretsmanager:GetSecretValue Sub:secret:token-signing-public-keys-??????',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  OauthIamRoleLambdaExecution: [
    // Certificate authentication: the record, SystemAuth and application in one round trip.
    'dynamodb:BatchGetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:BatchGetItem GetAtt:SystemAuthsTable.Arn',
    // Revoking a client whose application is gone (the token endpoint refuses it and cleans up).
    'dynamodb:DeleteItem GetAtt:SystemAuthsTable.Arn',
    // Introspection: whether an application's token still has its application; tls_client_auth (RFC 8705) reads the certificate's.
    'dynamodb:GetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:GetItem GetAtt:SystemAuthsTable.Arn',
    // Audit events of grants and refused client authentications.
    'dynamodb:PutItem GetAtt:AuditTable.Arn',
    'dynamodb:UpdateItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-oauth:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-oauth:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-oauth:*:*',
    'secretsmanager:DeleteSecret Sub:secret:oauth-clients/*',
    'secretsmanager:GetSecretValue Sub:secret:oauth-clients/*',
    // tls_client_auth checks client certificates against the trusted CAs (public material).
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-registry-??????',
    // The signing key set (public); kms:Sign on the signing keys comes from their key policies (TokenSigningKey).
    'secretsmanager:GetSecretValue Sub:secret:token-signing-public-keys-??????',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  // Issuance: Put of the token plus an Update linking it to its SystemAuth, in one transaction.
  TokensIamRoleLambdaExecution: [
    'dynamodb:PutItem GetAtt:TokensTable.Arn',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-tokens:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-tokens:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-tokens:*:*',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  ConnectorIamRoleLambdaExecution: [
    // Certificate authentication: the record, SystemAuth and application in one round trip.
    'dynamodb:BatchGetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:BatchGetItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:ConditionCheckItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:GetItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:GetItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:GetItem GetAtt:TokensTable.Arn',
    // Audit events, mostly inside the redemption, issuance and renewal transactions.
    'dynamodb:PutItem GetAtt:AuditTable.Arn',
    'dynamodb:PutItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:PutItem GetAtt:TokensTable.Arn',
    'dynamodb:Query GetAtt:SystemAuthsTable.Arn',
    'dynamodb:UpdateItem GetAtt:ApplicationsTable.Arn',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:UpdateItem GetAtt:TokensTable.Arn',
    // revokeCertificate and retirePreviousCertificate start their CA's CRL rebuild.
    'lambda:InvokeFunction GetAtt:CrlLambdaFunction.Arn',
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-connector:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-connector:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-connector:*:*',
    // The CA registry only (current CA to sign with, trusted CAs to authenticate against): signing is kms:Sign,
    // granted by the CA key's policy, so no IAM statement names KMS.
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-registry-??????',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  // Serves the page from its bundle: no AWS access at all.
  CockpitIamRoleLambdaExecution: [
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-cockpit:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-cockpit:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-cockpit:*:*',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  // The CRL builder reads only what a build needs: the byCrl index, its own counter/lease items (GetItem/UpdateItem with
  // dynamodb:LeadingKeys CRL, CRL#*), crlKey of revoked records (UpdateItem limited to the attributes id, sk, crlKey),
  // the CA registry; it writes crl/* only. kms:Sign with the CA keys comes from their key policies.
  CrlIamRoleLambdaExecution: [
    'dynamodb:GetItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:Query Sub:${SystemAuthsTable.Arn}/index/byCrl',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    'dynamodb:UpdateItem GetAtt:SystemAuthsTable.Arn',
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-crl:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-crl:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-crl:*:*',
    's3:PutObject Sub:${TruststoreBucket.Arn}/crl/*',
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-registry-??????',
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  // Serves the published CRLs: reads crl/* and nothing else.
  CrlServeIamRoleLambdaExecution: [
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-crlServe:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-crlServe:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-crlServe:*:*',
    's3:GetObject Sub:${TruststoreBucket.Arn}/crl/*',
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
  BootstrapIamRoleLambdaExecution: [
    'logs:CreateLogGroup Sub:log-group:pairing-service-prod-bootstrap:*:*',
    'logs:CreateLogStream Sub:log-group:pairing-service-prod-bootstrap:*:*',
    'logs:PutLogEvents Sub:log-group:pairing-service-prod-bootstrap:*:*',
    's3:PutObject Sub:${TruststoreBucket.Arn}/truststore/pairing-ca.pem',
    // Creating is authorized on the name followed by "*" (the ARN's random suffix does not exist yet).
    'secretsmanager:CreateSecret Sub:secret:pairing-ca-registry*',
    'secretsmanager:CreateSecret Sub:secret:token-signing-public-keys*',
    // The migration to KMS deletes the pre-KMS private keys: the CA's (never read; its public certificate stays
    // trusted) and the token signing key's (read for its public halves).
    'secretsmanager:DeleteSecret Sub:secret:pairing-ca-??????',
    'secretsmanager:DeleteSecret Sub:secret:token-signing-keys-??????',
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-certificate-??????',
    'secretsmanager:GetSecretValue Sub:secret:pairing-ca-registry-??????',
    'secretsmanager:GetSecretValue Sub:secret:token-signing-keys-??????',
    'secretsmanager:GetSecretValue Sub:secret:token-signing-public-keys-??????',
    // ... and its key set gets the KMS key as the active one.
    'secretsmanager:PutSecretValue Sub:secret:token-signing-public-keys-??????',
    // Active tracing (provider.tracing.lambda): X-Ray authorizes these only on "*" (RESOURCE_STAR_REQUIRED).
    'xray:PutTelemetryRecords *',
    'xray:PutTraceSegments *',
  ],
};

/**
 * Actions AWS authorizes only with "Resource": "*" that a role of this stack uses: the two that active X-Ray tracing
 * needs (X-Ray has no resource-level permissions for sending segments), in every function's role (custom.xrayTracing).
 */
const RESOURCE_STAR_REQUIRED: string[] = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

const EXPECTED_SIZING: Record<FunctionName, { memorySize: number; timeout: number }> = {
  director: { memorySize: 512, timeout: 15 },
  oauth: { memorySize: 256, timeout: 10 },
  tokens: { memorySize: 256, timeout: 5 },
  connector: { memorySize: 1024, timeout: 15 },
  cockpit: { memorySize: 256, timeout: 5 },
  bootstrap: { memorySize: 1769, timeout: 120 },
  // Encoding a CRL of 100,000 entries is CPU-bound (bench "crl"); triggered asynchronously and by the schedule, not behind API Gateway.
  crl: { memorySize: 1769, timeout: 60 },
  crlServe: { memorySize: 256, timeout: 5 },
};

const ENVIRONMENT_NAMES = [
  'STAGE', 'APPLICATIONS_TABLE', 'SYSTEM_AUTHS_TABLE', 'TOKENS_TABLE', 'AUDIT_TABLE', 'AUDIT_RETENTION_DAYS', 'SECRETS_PREFIX', 'TOKENS_FUNCTION_NAME',
  'PUBLIC_BASE_URL', 'MTLS_BASE_URL', 'MTLS_SERVER_CA', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_TRACE_ENABLED', 'LOG_LEVEL',
  'ACCESS_TOKEN_TTL_SECONDS', 'SECRET_CACHE_SECONDS', 'ONE_TIME_TOKEN_TTL_SECONDS', 'CERTIFICATE_VALIDITY_DAYS', 'CERTIFICATE_VALIDITY_SECONDS',
  'MAX_APPLICATIONS_PER_TENANT', 'MAX_OAUTH_CLIENTS_PER_TENANT', 'MAX_LIVE_CERTIFICATES', 'MAX_UNEXPIRED_CERTIFICATES',
  'CERTIFICATE_RECORD_RETENTION_DAYS', 'CRL_FUNCTION_NAME',
  'CSR_SUBJECT_O', 'CSR_SUBJECT_OU', 'CSR_SUBJECT_L', 'CSR_SUBJECT_ST', 'CSR_SUBJECT_C', 'CLIENT_SECRET_STORE',
].sort();
/** What the two CRL functions get besides: the bucket of the CRLs, and (the builder) their nextUpdate. */
const CRL_ENVIRONMENT: Partial<Record<FunctionName, string[]>> = {
  crl: ['CRL_BUCKET', 'CRL_NEXT_UPDATE_HOURS'], crlServe: ['CRL_BUCKET'],
  // The operator's pairing adapters outside the service: only the Director calls them.
  director: ['EXTERNAL_PAIRING_ADAPTERS'],
};

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
const lintTest = cfnLint ? test : test.skip;
const lintName = cfnLint ? 'cfn-lint reports nothing' : 'cfn-lint reports nothing (SKIPPED: cfn-lint is not on PATH; pip install cfn-lint)';

function lint(dir: string): { status: number | null; output: string } {
  const result = spawnSync('cfn-lint', ['--', path.join(dir, 'cloudformation-template-update-stack.json')], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let withDomain: Packaged;
let withoutDomain: Packaged;

/** The packaging without a domain also sets every throttling param, so that one packaging pins the overrides. */
const THROTTLING_PARAMS = {
  apiRateLimit: '150', apiBurstLimit: '300', tokenRateLimit: '12.5', tokenBurstLimit: '25', connectorRateLimit: '4', connectorBurstLimit: '8',
  tokensReservedConcurrency: '3',
};

interface StageDescription {
  TracingEnabled: boolean;
  ThrottlingRateLimit: number;
  ThrottlingBurstLimit: number;
  MethodSettings: Array<{ ResourcePath: string; HttpMethod: string; ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
}

/** The StageDescription of the one API Gateway deployment (it creates the stage; plugins/stage-throttling.cjs). */
function stageDescriptionOf(template: Template): StageDescription {
  const deployments = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::ApiGateway::Deployment');
  expect(deployments).toHaveLength(1);
  return deployments[0]!.Properties!.StageDescription as StageDescription;
}

/** "METHOD /path" of every API Gateway method, the path rebuilt from the resources' PathPart and ParentId. */
function apiMethods(template: Template): string[] {
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id === undefined ? undefined : template.Resources[id];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(resource.Properties!.ParentId)}/${resource.Properties!.PathPart as string}`;
  };
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::ApiGateway::Method')
    .map((method) => `${method.Properties!.HttpMethod as string} ${pathOf(method.Properties!.ResourceId)}`);
}

/** A method setting's path as CloudFormation writes it ("/~1oauth2~1token") back to the API's path. */
const settingPath = (resourcePath: string): string => resourcePath.replace(/~1/g, '/').slice(1);

beforeAll(async () => {
  // One after the other (local/packaging.ts would make them take turns anyway).
  withDomain = await packageService([...DOMAIN_PARAMS, `--param=alarmTopicEmail=${ALARM_EMAIL}`, ...VERIFIER_PARAMS]);
  withoutDomain = await packageService(
    Object.entries(THROTTLING_PARAMS).map(([name, value]) => `--param=${name}=${value}`),
    { PUBLIC_BASE_URL: SHELL_PUBLIC_BASE_URL },
  );
}, 300_000);

afterAll(() => {
  for (const packaged of [withDomain, withoutDomain]) if (packaged) fs.rmSync(packaged.dir, { recursive: true, force: true });
});

describe('serverless package --stage prod with the mTLS domain params', () => {
  const resources = () => withDomain.template.Resources;

  test('every function runs on nodejs24.x / arm64 with its own memory and timeout', () => {
    for (const fn of FUNCTIONS) {
      const properties = resources()[logicalId(fn)]!.Properties!;
      expect({ fn, runtime: properties.Runtime, architectures: properties.Architectures }).toEqual({ fn, runtime: 'nodejs24.x', architectures: ['arm64'] });
      expect({ fn, memorySize: properties.MemorySize, timeout: properties.Timeout }).toEqual({ fn, ...EXPECTED_SIZING[fn] });
    }
    const sizing = (fn: FunctionName) => resources()[logicalId(fn)]!.Properties! as { MemorySize: number; Timeout: number };
    // CSR signing is CPU-bound, and Lambda's CPU share grows with memory.
    for (const fn of ['director', 'oauth', 'tokens'] as const) expect(sizing('connector').MemorySize).toBeGreaterThan(sizing(fn).MemorySize);
    // Behind API Gateway (29 s integration limit), and the director outlives the tokens call it waits for.
    for (const fn of ['director', 'oauth', 'connector', 'cockpit'] as const) expect(sizing(fn).Timeout).toBeLessThan(29);
    expect(sizing('director').Timeout).toBeGreaterThan(sizing('tokens').Timeout);
  });

  test('API Gateway throttles the stage at 200/s (burst 400), the token endpoint at 50/s (100) and the Connector at 20/s (40)', () => {
    const stage = stageDescriptionOf(withDomain.template);
    expect(stage).toEqual({
      TracingEnabled: true,
      ThrottlingRateLimit: 200,
      ThrottlingBurstLimit: 400,
      MethodSettings: [
        { ResourcePath: '/~1oauth2~1token', HttpMethod: 'POST', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        { ResourcePath: '/~1connector~1graphql', HttpMethod: 'POST', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        // Introspection authenticates a client secret: bounded like the token endpoint.
        { ResourcePath: '/~1oauth2~1introspect', HttpMethod: 'POST', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      ],
    });
    // Each setting names a method the API has (a mistyped path would throttle nothing), and is below the stage's limits.
    const methods = apiMethods(withDomain.template);
    for (const setting of stage.MethodSettings) {
      expect(methods).toContain(`${setting.HttpMethod} ${settingPath(setting.ResourcePath)}`);
      expect(setting.ThrottlingRateLimit).toBeLessThan(stage.ThrottlingRateLimit);
      expect(setting.ThrottlingBurstLimit).toBeLessThan(stage.ThrottlingBurstLimit);
    }
  });

  test('the tokens function has reserved concurrency (10): the Director\'s issuance never starves, nor starves the others; the crl builder 2', () => {
    const reserved = Object.fromEntries(FUNCTIONS.map((fn) => [fn, resources()[logicalId(fn)]!.Properties!.ReservedConcurrentExecutions]));
    // crl too (2): a burst of revocation triggers runs a few builders at most; Lambda keeps throttled asynchronous events.
    expect(reserved).toEqual({ director: undefined, oauth: undefined, tokens: 10, connector: undefined, cockpit: undefined, bootstrap: undefined, crl: 2, crlServe: undefined });
  });

  test('certificate records leave the SystemAuths table by DynamoDB TTL on expiresAt (as tokens and audit events do)', () => {
    for (const table of ['SystemAuthsTable', 'TokensTable', 'AuditTable']) {
      expect({ table, ttl: resources()[table]!.Properties!.TimeToLiveSpecification }).toEqual({ table, ttl: { AttributeName: 'expiresAt', Enabled: true } });
    }
    // Applications are removed by unregistering only.
    expect(resources().ApplicationsTable!.Properties!.TimeToLiveSpecification).toBeUndefined();
    const variables = (resources()[logicalId('connector')]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables).toMatchObject({ MAX_LIVE_CERTIFICATES: '5', MAX_UNEXPIRED_CERTIFICATES: '100', CERTIFICATE_RECORD_RETENTION_DAYS: '30' });
  });

  test('the functions get the stage configuration, with the mTLS base URL of the domain', () => {
    for (const fn of FUNCTIONS) {
      const variables = (resources()[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect({ fn, names: Object.keys(variables).sort() }).toEqual({ fn, names: [...ENVIRONMENT_NAMES, ...(CRL_ENVIRONMENT[fn] ?? [])].sort() });
      expect(variables).toMatchObject({
        STAGE: 'prod',
        APPLICATIONS_TABLE: 'pairing-service-prod-applications',
        SYSTEM_AUTHS_TABLE: 'pairing-service-prod-system-auths',
        TOKENS_TABLE: 'pairing-service-prod-tokens',
        SECRETS_PREFIX: 'pairing-service/prod',
        TOKENS_FUNCTION_NAME: 'pairing-service-prod-tokens',
        CRL_FUNCTION_NAME: 'pairing-service-prod-crl',
        MTLS_BASE_URL: `https://${DOMAIN}`,
      });
    }
    // The CRLs are objects of the stack's bucket (crl/<caId>.crl); each CRL is valid 24 h by default.
    const crlVariables = (fn: FunctionName) => (resources()[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(crlVariables('crl')).toMatchObject({ CRL_BUCKET: { Ref: 'TruststoreBucket' }, CRL_NEXT_UPDATE_HOURS: '24' });
    expect(crlVariables('crlServe')).toMatchObject({ CRL_BUCKET: { Ref: 'TruststoreBucket' } });
  });

  test('the functions take the stack\'s own execute-api URL as their public base URL, not the mTLS domain', () => {
    for (const fn of FUNCTIONS) {
      const variables = (resources()[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({ fn, PUBLIC_BASE_URL: variables.PUBLIC_BASE_URL }).toEqual({ fn, PUBLIC_BASE_URL: STACK_BASE_URL });
    }
  });

  test('each function has a role of its own that no other function uses', () => {
    const roles = FUNCTIONS.map((fn) => roleOf(withDomain.template, fn));
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    expect(roles).not.toContain('IamRoleLambdaExecution');
  });

  test('every role allows exactly the actions on the resources listed here, and nothing else', () => {
    expect(permissionsByRole(withDomain.template)).toEqual(EXPECTED_PERMISSIONS);
    for (const fn of FUNCTIONS) expect({ fn, role: roleOf(withDomain.template, fn) }).toEqual({ fn, role: `${logicalId(fn).replace('LambdaFunction', '')}IamRoleLambdaExecution` });
  });

  test('no IAM role allows a wildcard action or "*" as a resource, nor uses NotAction / NotResource', () => {
    const roles = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(FUNCTIONS.length);
    for (const [roleId] of roles) {
      for (const statement of statementsOf(withDomain.template, roleId)) {
        expect({ roleId, NotAction: statement.NotAction, NotResource: statement.NotResource }).toEqual({ roleId });
        if (statement.Effect !== 'Allow') continue;
        for (const action of asList(statement.Action)) {
          expect({ roleId, action, wildcard: action.includes('*') }).toEqual({ roleId, action, wildcard: false });
          if (RESOURCE_STAR_REQUIRED.includes(action)) continue;
          for (const resource of asList(statement.Resource)) expect({ roleId, action, resource: resourceText(resource) }).not.toEqual({ roleId, action, resource: '*' });
        }
      }
    }
  });

  test('only the functions that sign may read a private key: none reads the pre-KMS CA secret, only the bootstrap the pre-KMS token keys', () => {
    const readers = (secret: string) =>
      FUNCTIONS.filter((fn) => grantsOf(withDomain.template, fn).some((g) => g.startsWith('secretsmanager:GetSecretValue ') && g.endsWith(`/${secret}-??????`)));
    expect(readers('pairing-ca')).toEqual([]);
    // The pre-KMS private signing key: only the bootstrap, which migrates and deletes it.
    expect(readers('token-signing-keys')).toEqual(['bootstrap']);
    // Public material: the CA registry (verifiers and the signer), the pre-KMS CA certificate (the migration).
    expect(readers('pairing-ca-registry')).toEqual(['director', 'oauth', 'connector', 'bootstrap', 'crl']);
    expect(readers('pairing-ca-certificate')).toEqual(['bootstrap']);
    // The token-signing key set (public): the signer (oauth) finds its KMS key there, verifiers the public keys.
    expect(readers('token-signing-public-keys')).toEqual(['director', 'oauth', 'bootstrap']);
  });

  test('the token-signing key is an ES256 KMS key that only the oauth role may sign with; no IAM policy grants any kms action', () => {
    const keys = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::KMS::Key');
    const tokenKey = resources().TokenSigningKey!;
    expect(keys.map(([id]) => id)).toContain('TokenSigningKey');
    expect(tokenKey).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(tokenKey.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Enabled: true });
    interface KeyStatement { Sid: string; Effect: string; Principal: { AWS: unknown }; Action: string | string[]; Resource: string; Condition?: unknown }
    const statements = (tokenKey.Properties!.KeyPolicy as { Statement: KeyStatement[] }).Statement;
    const byAction = (action: string) => statements.filter((st) => st.Effect === 'Allow' && asList(st.Action).some((a) => a === action || a === 'kms:*' || a === '*'));
    // Signing: the oauth role (access tokens) and the director role (its calls to outside pairing adapters), ES256 over the RAW message only.
    expect(byAction('kms:Sign')).toEqual([{
      Sid: 'SignAccessTokens', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['OauthIamRoleLambdaExecution', 'Arn'] } }, Action: 'kms:Sign', Resource: '*',
      Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' } },
    }, {
      Sid: 'SignPairingAdapterRequests', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['DirectorIamRoleLambdaExecution', 'Arn'] } }, Action: 'kms:Sign', Resource: '*',
      Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' } },
    }]);
    // The public key: the bootstrap (which publishes it), and the account's administrators.
    expect(byAction('kms:GetPublicKey').map((st) => st.Principal.AWS)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' },
      { 'Fn::GetAtt': ['BootstrapIamRoleLambdaExecution', 'Arn'] },
    ]);
    // The administrators manage the key (rotation copies its policy, schedules deletion) but use it for nothing.
    const administration = statements.find((st) => st.Sid === 'KeyAdministration')!;
    expect(asList(administration.Action).filter((action) => /^kms:(Sign|Verify|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateMac|VerifyMac|CreateGrant|\*)/.test(action))).toEqual([]);
    expect(asList(administration.Action)).toEqual(expect.arrayContaining(['kms:GetKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']));
    expect(statements.filter((st) => st.Effect !== 'Allow')).toEqual([]);
    // No role of the stack gets any kms action from IAM: what a key allows is in its key policy alone.
    for (const fn of FUNCTIONS) expect({ fn, kms: grantsOf(withDomain.template, fn).filter((grant) => grant.startsWith('kms:')) }).toEqual({ fn, kms: [] });
  });

  test('clientSecretStore=verifier: an HMAC_256 key, retained, whose policy lets only the oauth and director roles and the named operator GenerateMac, and nobody VerifyMac', () => {
    const created = createdResources(withDomain.template);
    const key = created.ClientSecretMacKey!;
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Enabled: true });
    expect(created.ClientSecretMacKeyAlias?.Properties).toEqual({ AliasName: 'alias/pairing-service-prod-client-secrets', TargetKeyId: { Ref: 'ClientSecretMacKey' } });
    interface KeyStatement { Sid: string; Effect: string; Principal: { AWS: unknown }; Action: string | string[]; Condition?: unknown }
    const statements = (evaluate(withDomain.template, (key.Properties!.KeyPolicy as { Statement: unknown[] }).Statement) as unknown[])
      .map((statement) => evaluate(withDomain.template, statement) as KeyStatement)
      .map((statement) => ({ ...statement, Principal: { AWS: evaluate(withDomain.template, statement.Principal.AWS) } }));
    const allowing = (action: string) => statements.filter((st) => st.Effect === 'Allow' && asList(st.Action).some((a) => a === action || a === 'kms:*' || a === '*'));
    expect(allowing('kms:GenerateMac').map(({ Sid, Principal, Condition }) => ({ Sid, Principal, Condition }))).toEqual([
      {
        Sid: 'ComputeClientSecretVerifiers',
        Principal: { AWS: [{ 'Fn::GetAtt': ['OauthIamRoleLambdaExecution', 'Arn'] }, { 'Fn::GetAtt': ['DirectorIamRoleLambdaExecution', 'Arn'] }] },
        Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
      },
      { Sid: 'OperatorComputesClientSecretVerifiers', Principal: { AWS: SECRET_OPERATOR_ARN }, Condition: { StringEqualsIfExists: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } } },
    ]);
    expect(allowing('kms:VerifyMac')).toEqual([]);
    expect(asList(allowing('kms:GenerateMac')[1]!.Action).sort()).toEqual(['kms:DescribeKey', 'kms:GenerateMac']);
    const administration = statements.find((st) => st.Sid === 'KeyAdministration')!;
    expect(asList(administration.Action).filter((action) => /^kms:(Sign|Verify|Encrypt|Decrypt|GenerateMac|VerifyMac|CreateGrant|\*)/.test(action))).toEqual([]);
    expect(statements.map((st) => st.Sid)).toEqual(['KeyAdministration', 'ComputeClientSecretVerifiers', 'OperatorComputesClientSecretVerifiers']);
    for (const fn of FUNCTIONS) {
      const variables = (created[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect({ fn, store: variables.CLIENT_SECRET_STORE }).toEqual({ fn, store: 'verifier' });
    }
  });

  test('the tokens function cannot touch any secret; the director can invoke only tokens and crl, the connector only crl', () => {
    expect(grantsOf(withDomain.template, 'tokens').filter((grant) => grant.startsWith('secretsmanager:'))).toEqual([]);
    const invokes = FUNCTIONS.flatMap((fn) => grantsOf(withDomain.template, fn).filter((g) => g.startsWith('lambda:')).map((g) => `${fn}: ${g}`));
    expect(invokes).toEqual([
      // Revocations start their CA's CRL rebuild (an asynchronous invoke).
      'director: lambda:InvokeFunction GetAtt:CrlLambdaFunction.Arn',
      'director: lambda:InvokeFunction GetAtt:TokensLambdaFunction.Arn',
      'connector: lambda:InvokeFunction GetAtt:CrlLambdaFunction.Arn',
    ]);
  });

  test('the tables keep their keys and indexes, bill on demand, have PITR, encryption, deletion protection and Retain; tokens expire by TTL', () => {
    const tables = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual(['ApplicationsTable', 'AuditTable', 'SystemAuthsTable', 'TokensTable']);
    for (const [id, table] of tables) {
      expect({ id, deletion: table.DeletionPolicy, replace: table.UpdateReplacePolicy }).toEqual({ id, deletion: 'Retain', replace: 'Retain' });
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      });
    }
    const table = (id: string) => resources()[id]!.Properties!;
    expect(table('ApplicationsTable')).toMatchObject({
      TableName: 'pairing-service-prod-applications',
      KeySchema: [{ AttributeName: 'tenant', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byCreated' }],
    });
    expect(table('SystemAuthsTable')).toMatchObject({
      TableName: 'pairing-service-prod-system-auths',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [
        { IndexName: 'byApplication' },
        // Sparse (revoked certificate records only), notAfter as the range key: a CRL build reads one CA's unexpired revocations.
        {
          IndexName: 'byCrl',
          KeySchema: [{ AttributeName: 'crlKey', KeyType: 'HASH' }, { AttributeName: 'notAfter', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['serialNumber', 'revokedAt', 'revocationReason'] },
        },
      ],
    });
    expect(table('TokensTable')).toMatchObject({
      TableName: 'pairing-service-prod-tokens',
      KeySchema: [{ AttributeName: 'tokenHash', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(table('AuditTable')).toMatchObject({
      TableName: 'pairing-service-prod-audit',
      KeySchema: [{ AttributeName: 'tenant', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byApplication', KeySchema: [{ AttributeName: 'appKey', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('the audit table is append-only: no role may update or delete its items, and only the Director may read them', () => {
    const grants = Object.entries(permissionsByRole(withDomain.template)).flatMap(([roleId, list]) => list.map((grant) => `${roleId} ${grant}`));
    const auditGrants = grants.filter((grant) => grant.includes('AuditTable'));
    // Writers append (PutItem, also as an item of a transaction): never UpdateItem, DeleteItem, BatchWriteItem or PartiQL.
    expect(auditGrants.filter((grant) => /dynamodb:(UpdateItem|DeleteItem|BatchWriteItem|PartiQL\w+)/.test(grant))).toEqual([]);
    expect(auditGrants.sort()).toEqual([
      'ConnectorIamRoleLambdaExecution dynamodb:PutItem GetAtt:AuditTable.Arn',
      'DirectorIamRoleLambdaExecution dynamodb:PutItem GetAtt:AuditTable.Arn',
      'DirectorIamRoleLambdaExecution dynamodb:Query GetAtt:AuditTable.Arn',
      'DirectorIamRoleLambdaExecution dynamodb:Query Sub:${AuditTable.Arn}/index/byApplication',
      'OauthIamRoleLambdaExecution dynamodb:PutItem GetAtt:AuditTable.Arn',
    ]);
  });

  test('every function logs to a log group with a retention period', () => {
    const logGroups = Object.values(resources()).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.map((group) => group.Properties!.LogGroupName).sort()).toEqual(FUNCTIONS.map((fn) => `/aws/lambda/pairing-service-prod-${fn}`).sort());
    for (const group of logGroups) expect(group.Properties!.RetentionInDays).toBe(30);
  });

  test('the truststore bucket is versioned, encrypted, private, TLS-only and retained', () => {
    const bucket = resources().TruststoreBucket!;
    expect(bucket).toMatchObject({ Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const policy = resources().TruststoreBucketPolicy!;
    expect(policy.Properties).toMatchObject({
      Bucket: { Ref: 'TruststoreBucket' },
      PolicyDocument: { Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });

  test('the PairingBootstrap custom resource is backed by the bootstrap function, which has no HTTP route', () => {
    expect(resources().PairingBootstrap).toEqual({
      Type: 'Custom::PairingBootstrap',
      Properties: {
        ServiceToken: { 'Fn::GetAtt': ['BootstrapLambdaFunction', 'Arn'] },
        ServiceTimeout: 300,
        TruststoreBucket: { Ref: 'TruststoreBucket' },
        TruststoreKey: 'truststore/pairing-ca.pem',
        TokenSigningKeyArn: { 'Fn::GetAtt': ['TokenSigningKey', 'Arn'] },
        // Changed whenever it ensures another secret, so that existing stacks run it again.
        Secrets: 'pairing-ca,pairing-ca-certificate,token-signing-public-keys',
        CaKeyArn: { 'Fn::GetAtt': ['PairingCaKey', 'Arn'] },
        CaGeneration: '1',
        CaTrustRevision: '0',
      },
    });
    const invokers = Object.values(resources()).filter((r) => r.Type === 'AWS::Lambda::Permission').map((r) => JSON.stringify(r.Properties!.FunctionName));
    expect(invokers.some((name) => name.includes('BootstrapLambdaFunction'))).toBe(false);
    // API Gateway invokes director, oauth, connector, cockpit and crlServe; EventBridge (the schedule) invokes crl.
    expect(invokers).toHaveLength(6);
  });

  test('the pairing CA key is an asymmetric SIGN_VERIFY KMS key (RSA_2048), retained, whose policy lets only the connector, the crl builder and the bootstrap sign', () => {
    const keys = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::KMS::Key');
    expect(keys.map(([id]) => id)).toContain('PairingCaKey');
    const key = resources().PairingCaKey!;
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(key.Properties).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 30 });
    const statements = (key.Properties!.KeyPolicy as { Statement: Array<Statement & { Sid: string; Principal: { AWS: unknown }; Condition?: unknown }> }).Statement;
    // Who may do what with the key: principal -> actions (the account root administers it through IAM).
    const byPrincipal = statements.map((statement) => ({ sid: statement.Sid, principal: resourceText(statement.Principal.AWS), actions: asList(statement.Action).sort() }));
    expect(byPrincipal).toEqual([
      {
        sid: 'KeyAdministration',
        principal: 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root',
        // Named one by one (the same list rotate-ca puts on later CA keys): no wildcard can reach kms:CreateGrant.
        actions: [...CA_KEY_ADMINISTRATION_ACTIONS].sort(),
      },
      { sid: 'ConnectorSignsClientCertificates', principal: 'GetAtt:ConnectorIamRoleLambdaExecution.Arn', actions: ['kms:Sign'] },
      { sid: 'CrlSignsRevocationLists', principal: 'GetAtt:CrlIamRoleLambdaExecution.Arn', actions: ['kms:Sign'] },
      { sid: 'BootstrapSelfSignsCaCertificate', principal: 'GetAtt:BootstrapIamRoleLambdaExecution.Arn', actions: ['kms:Sign'] },
      { sid: 'BootstrapChecksCaCertificate', principal: 'GetAtt:BootstrapIamRoleLambdaExecution.Arn', actions: ['kms:GetPublicKey'] },
    ]);
    for (const statement of statements) expect({ sid: statement.Sid, effect: statement.Effect, notAction: statement.NotAction }).toEqual({ sid: statement.Sid, effect: 'Allow' });
    // Signing is allowed with the CA's algorithm only.
    for (const statement of statements.filter((s) => asList(s.Action).includes('kms:Sign'))) {
      expect(statement.Condition).toEqual({ StringEquals: { 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256' } });
    }
    // No wildcard of the administrators' statement reaches signing or verifying.
    const rootActions = asList(statements[0]!.Action);
    const allows = (patterns: string[], action: string) => patterns.some((pattern) => new RegExp(`^${pattern.replace('*', '.*')}$`).test(action));
    for (const action of ['kms:Sign', 'kms:Verify']) expect(allows(rootActions, action)).toBe(false);
    // Nobody may create a grant: a grant gives kms:Sign without this policy.
    for (const statement of statements) expect({ sid: statement.Sid, createGrant: allows(asList(statement.Action), 'kms:CreateGrant') }).toEqual({ sid: statement.Sid, createGrant: false });
  });

  test('no IAM role names KMS: kms:Sign on a KMS key comes from its key policy alone, for the CA key\'s connector, crl and bootstrap and the token key\'s oauth and director', () => {
    const kmsGrants = Object.entries(permissionsByRole(withDomain.template)).flatMap(([role, grants]) => grants.filter((g) => g.startsWith('kms:')).map((g) => `${role}: ${g}`));
    expect(kmsGrants).toEqual([]);
    const signersOf = (keyId: string) =>
      (resources()[keyId]!.Properties!.KeyPolicy as { Statement: Array<Statement & { Principal: { AWS: unknown } }> }).Statement
        .filter((statement) => asList(statement.Action).some((action) => action === 'kms:Sign' || action === 'kms:*'))
        .map((statement) => resourceText(statement.Principal.AWS))
        .sort();
    const keys = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::KMS::Key').map(([id]) => id).sort();
    expect(keys).toEqual(['ClientSecretMacKey', 'PairingCaKey', 'TokenSigningKey']);
    expect(signersOf('ClientSecretMacKey')).toEqual([]);
    expect(signersOf('PairingCaKey')).toEqual(['GetAtt:BootstrapIamRoleLambdaExecution.Arn', 'GetAtt:ConnectorIamRoleLambdaExecution.Arn', 'GetAtt:CrlIamRoleLambdaExecution.Arn']);
    // The Director signs the JWT of its calls to outside pairing adapters with the token key too.
    expect(signersOf('TokenSigningKey')).toEqual(['GetAtt:DirectorIamRoleLambdaExecution.Arn', 'GetAtt:OauthIamRoleLambdaExecution.Arn']);
  });

  test('only this stack\'s API may invoke the HTTP functions, and nothing but the Director\'s role may invoke tokens', () => {
    const permissions = Object.values(resources()).filter((r) => r.Type === 'AWS::Lambda::Permission').map((r) => r.Properties!);
    // The crl function's schedule: EventBridge may invoke it, for its own rule only.
    const scheduled = permissions.filter((permission) => permission.Principal === 'events.amazonaws.com');
    expect(scheduled.map((permission) => JSON.stringify(permission.FunctionName))).toEqual([expect.stringContaining('CrlLambdaFunction')]);
    for (const permission of permissions.filter((p) => p.Principal !== 'events.amazonaws.com')) {
      expect(permission.Principal).toBe('apigateway.amazonaws.com');
      // Scoped to this stack's REST API, not to any API Gateway of the account.
      expect(JSON.stringify(permission.SourceArn)).toContain('ApiGatewayRestApi');
      expect(JSON.stringify(permission.FunctionName)).not.toContain('TokensLambdaFunction');
    }
  });

  test('the custom domain uses mutual TLS with the truststore from the custom resource', () => {
    const created = createdResources(withDomain.template);
    expect(created.MtlsDomain).toMatchObject({
      Type: 'AWS::ApiGateway::DomainName',
      Properties: {
        DomainName: { Ref: 'MtlsDomainName' },
        RegionalCertificateArn: { Ref: 'MtlsCertificateArn' },
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
        MutualTlsAuthentication: {
          TruststoreUri: { 'Fn::GetAtt': ['PairingBootstrap', 'TruststoreUri'] },
          TruststoreVersion: { 'Fn::GetAtt': ['PairingBootstrap', 'TruststoreVersion'] },
        },
      },
    });
    expect(parameterValue(withDomain.template, 'MtlsDomainName')).toBe(DOMAIN);
    expect(parameterValue(withDomain.template, 'MtlsCertificateArn')).toBe(CERTIFICATE_ARN);
  });

  test('the base path mapping maps the whole domain to the REST API stage, after the custom resource and the deployment', () => {
    const mapping = createdResources(withDomain.template).MtlsBasePathMapping!;
    expect(mapping.Type).toBe('AWS::ApiGateway::BasePathMapping');
    expect(mapping.Properties).toEqual({ DomainName: { Ref: 'MtlsDomain' }, RestApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'prod' });
    const deployment = Object.keys(resources()).find((id) => resources()[id]!.Type === 'AWS::ApiGateway::Deployment');
    expect(deployment).toBeDefined();
    expect(asList(mapping.DependsOn ?? []).sort()).toEqual([deployment, 'PairingBootstrap'].sort());
  });

  test('the outputs name the Director, Connector, token endpoint, Cockpit and mTLS URLs', () => {
    const outputs = createdOutputs(withDomain.template);
    const apiBase = 'https://${ApiGatewayRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod';
    expect(outputs).toMatchObject({
      DirectorUrl: `${apiBase}/director/graphql`,
      ConnectorUrl: `${apiBase}/connector/graphql`,
      TokenEndpoint: `${apiBase}/oauth2/token`,
      CockpitUrl: `${apiBase}/cockpit`,
      MtlsEndpoint: `https://${DOMAIN}`,
      MtlsDirectorUrl: `https://${DOMAIN}/director/graphql`,
      MtlsConnectorUrl: `https://${DOMAIN}/connector/graphql`,
      // The same path as on the default endpoint: the domain maps the whole API (empty base path).
      MtlsTokenEndpoint: `https://${DOMAIN}/oauth2/token`,
      MtlsDnsTarget: { 'Fn::GetAtt': ['MtlsDomain', 'RegionalDomainName'] },
      TruststoreUri: { 'Fn::GetAtt': ['PairingBootstrap', 'TruststoreUri'] },
    });
  });

  test('cockpit answers GET /cockpit, GET /cockpit/{asset} and GET /health, and no other function answers below /cockpit', () => {
    expect(routesOf(withDomain.template, 'cockpit')).toEqual(['GET /cockpit', 'GET /cockpit/{asset}', 'GET /health']);
    const others = FUNCTIONS.filter((fn) => fn !== 'cockpit').flatMap((fn) => routesOf(withDomain.template, fn));
    expect(others.filter((route) => / \/cockpit(\/|$)/.test(route))).toEqual([]);
  });

  test('the API allows no cross-origin access: no OPTIONS method, no gateway response, no CORS header anywhere', () => {
    // Cockpit is on the API's own origin; http events with `cors: true` would add OPTIONS methods and Access-Control-* headers.
    const methods = Object.values(resources()).filter((r) => r.Type === 'AWS::ApiGateway::Method').map((r) => r.Properties!.HttpMethod);
    expect(methods.length).toBeGreaterThan(0);
    expect(methods).not.toContain('OPTIONS');
    expect(Object.values(resources()).filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse')).toEqual([]);
    expect(withDomain.text).not.toMatch(/access-control-/i);
  });

  test('the Director and the Connector serve their SDL at GET /<api>/schema.graphql beside POST /<api>/graphql', () => {
    expect(routesOf(withDomain.template, 'director')).toEqual(['GET /director/schema.graphql', 'POST /director/graphql']);
    expect(routesOf(withDomain.template, 'connector')).toEqual(['GET /connector/schema.graphql', 'POST /connector/graphql']);
  });

  test('the cockpit role allows nothing but writing its own log group and its traces', () => {
    const allowed = statementsOf(withDomain.template, roleOf(withDomain.template, 'cockpit')).filter((s) => s.Effect === 'Allow');
    expect(allowed.flatMap((s) => asList(s.Action)).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    expect(allowed.flatMap((s) => asList(s.Resource)).map(resourceText)).toEqual([
      'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/pairing-service-prod-cockpit:*:*',
      '*',
    ]);
  });

  test('the cockpit bundle (the page and its server) stays small', () => {
    // About 40 KiB today; the page is built into it, so a page that pulls in a large library shows up here.
    expect(fs.statSync(path.join(withDomain.dir, 'cockpit.zip')).size).toBeLessThan(256 * 1024);
  });

  test('each function is one bundle under 1 MiB', () => {
    for (const fn of FUNCTIONS) {
      const zip = fs.readFileSync(path.join(withDomain.dir, `${fn}.zip`));
      expect({ fn, underOneMiB: zip.length < 1024 * 1024 }).toEqual({ fn, underOneMiB: true });
      // Entry names are stored uncompressed in the zip's headers.
      expect(zip.includes(`functions/${fn}/handler.js`)).toBe(true);
      expect(resources()[logicalId(fn)]!.Properties!.Code).toMatchObject({ S3Key: expect.stringMatching(new RegExp(`/${fn}\\.zip$`)) });
    }
  });

  test('nothing secret is in the template', () => {
    const { text } = withDomain;
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(text).not.toMatch(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/);
    expect(text).not.toContain(DUMMY_ACCESS_KEY);
    expect(text).not.toContain(DUMMY_SECRET_KEY);
    // Secrets live in Secrets Manager, created at run time: the stack declares none with a value.
    const secretResources = Object.values(resources()).filter((r) => r.Type.startsWith('AWS::SecretsManager::'));
    expect(secretResources).toEqual([]);
    expect(text).not.toMatch(/"(SecretString|SecretValue|Password|ClientSecret)"/i);
  });

  lintTest(lintName, () => {
    const { status, output } = lint(withDomain.dir);
    expect(output.trim()).toBe('');
    expect(status).toBe(0);
  });
});

describe('serverless package --stage prod without the mTLS domain params', () => {
  test('creates no custom domain and says so in the MtlsEndpoint output', () => {
    const created = Object.values(createdResources(withoutDomain.template)).map((r) => r.Type);
    expect(created).not.toContain('AWS::ApiGateway::DomainName');
    expect(created).not.toContain('AWS::ApiGateway::BasePathMapping');
    const outputs = createdOutputs(withoutDomain.template);
    expect(outputs.MtlsEndpoint).toBe('not configured: pass --param="domainName=..." --param="certificateArn=..." to serverless deploy');
    expect(Object.keys(outputs)).not.toContain('MtlsDirectorUrl');
    expect(Object.keys(outputs)).not.toContain('MtlsConnectorUrl');
    expect(Object.keys(outputs)).not.toContain('MtlsTokenEndpoint');
    expect(outputs).toHaveProperty('DirectorUrl');
  });

  test('takes the public base URL from the stack even when PUBLIC_BASE_URL is set in the deployer\'s shell', () => {
    for (const fn of FUNCTIONS) {
      const variables = (withoutDomain.template.Resources[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({ fn, PUBLIC_BASE_URL: variables.PUBLIC_BASE_URL }).toEqual({ fn, PUBLIC_BASE_URL: STACK_BASE_URL });
    }
    expect(withoutDomain.text).not.toContain(SHELL_PUBLIC_BASE_URL);
  });

  test('the throttling params and tokensReservedConcurrency override the defaults', () => {
    expect(stageDescriptionOf(withoutDomain.template)).toEqual({
      TracingEnabled: true,
      ThrottlingRateLimit: 150,
      ThrottlingBurstLimit: 300,
      MethodSettings: [
        { ResourcePath: '/~1oauth2~1token', HttpMethod: 'POST', ThrottlingRateLimit: 12.5, ThrottlingBurstLimit: 25 },
        { ResourcePath: '/~1connector~1graphql', HttpMethod: 'POST', ThrottlingRateLimit: 4, ThrottlingBurstLimit: 8 },
        { ResourcePath: '/~1oauth2~1introspect', HttpMethod: 'POST', ThrottlingRateLimit: 12.5, ThrottlingBurstLimit: 25 },
      ],
    });
    expect(withoutDomain.template.Resources[logicalId('tokens')]!.Properties!.ReservedConcurrentExecutions).toBe(3);
  });

  test('clientSecretStore defaults to secrets-manager: no verifier key is created', () => {
    const created = createdResources(withoutDomain.template);
    expect(created.ClientSecretMacKey).toBeUndefined();
    expect(created.ClientSecretMacKeyAlias).toBeUndefined();
    for (const fn of FUNCTIONS) {
      const variables = (created[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect({ fn, store: variables.CLIENT_SECRET_STORE }).toEqual({ fn, store: 'secrets-manager' });
    }
  });

  test('still bootstraps the CA and signing key, and gives the functions no mTLS base URL', () => {
    const created = createdResources(withoutDomain.template);
    expect(created.PairingBootstrap?.Type).toBe('Custom::PairingBootstrap');
    expect(created.TruststoreBucket?.Type).toBe('AWS::S3::Bucket');
    for (const fn of FUNCTIONS) {
      const variables = (created[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
      expect(variables.MTLS_BASE_URL).toBe('');
    }
  });

  lintTest(lintName, () => {
    const { status, output } = lint(withoutDomain.dir);
    expect(output.trim()).toBe('');
    expect(status).toBe(0);
  });
});

describe('serverless package with a throttling param that is no number', () => {
  test('fails naming the setting and the value', async () => {
    await expect(packageService(['--param=connectorBurstLimit=lots'])).rejects.toThrow(/custom\.throttling\.connectorBurstLimit must be a positive whole number .*"lots"/);
  }, 60_000);
});

describe('serverless package with a domain but no certificate', () => {
  test('fails before building anything, naming the certificateArn', async () => {
    await expect(packageService([`--param=domainName=${DOMAIN}`])).rejects.toThrow(/custom\.mtls\.certificateArn/);
  }, 60_000);
});

// ---- Operating it (issue 15): metrics, traces, alarms and the dashboard ----

interface AlarmProperties {
  AlarmName: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Threshold: number | string;
  ComparisonOperator: string;
  TreatMissingData?: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  Metrics?: { Id: string; Expression?: unknown; ReturnData?: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string } }[];
}

const alarmsOf = (template: Template): Record<string, AlarmProperties> =>
  Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
      .map(([id, resource]) => [id, resource.Properties as unknown as AlarmProperties]),
  );

/** The functions that serve requests; the bootstrap runs only during a deployment, whose failure reports it. */
const SERVING_FUNCTIONS = ['director', 'oauth', 'tokens', 'connector', 'cockpit'] as const;
const METRICS_NAMESPACE = 'PairingService/prod';

describe('serverless package --stage prod: metrics, traces, alarms and the dashboard', () => {
  const resources = () => withDomain.template.Resources;
  const variablesOf = (template: Template, fn: FunctionName) =>
    (template.Resources[logicalId(fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  test('every function traces actively, loads the Tracer (POWERTOOLS_TRACE_ENABLED) and writes metrics to the stage\'s namespace', () => {
    for (const fn of FUNCTIONS) {
      expect({ fn, tracing: resources()[logicalId(fn)]!.Properties!.TracingConfig }).toEqual({ fn, tracing: { Mode: 'Active' } });
      expect({ fn, ...variablesOf(withDomain.template, fn) }).toMatchObject({ fn, POWERTOOLS_TRACE_ENABLED: 'true', POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
    }
  });

  test('the API Gateway stage is traced (its StageDescription, written by plugins/stage-throttling.cjs from provider.tracing.apiGateway)', () => {
    for (const packaged of [withDomain, withoutDomain]) expect(stageDescriptionOf(packaged.template).TracingEnabled).toBe(true);
  });

  test('each serving function has an errors, a throttles and a p99 duration alarm on its own metrics', () => {
    const alarms = alarmsOf(withDomain.template);
    for (const fn of SERVING_FUNCTIONS) {
      const onFunction = Object.values(alarms).filter((alarm) => alarm.Namespace === 'AWS/Lambda' && JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }]));
      expect({ fn, alarms: onFunction.map((alarm) => `${alarm.MetricName} ${alarm.Statistic ?? alarm.ExtendedStatistic}`).sort() }).toEqual({
        fn,
        alarms: ['Duration p99', 'Errors Sum', 'Throttles Sum'],
      });
      // The p99 alarm fires before the function times out (then the errors alarm fires too).
      const duration = onFunction.find((alarm) => alarm.MetricName === 'Duration')!;
      expect(Number(duration.Threshold)).toBeLessThan(EXPECTED_SIZING[fn].timeout * 1000);
    }
  });

  test('API Gateway 5xx and p99 latency are alarmed on this stage of this API', () => {
    const alarms = Object.values(alarmsOf(withDomain.template)).filter((alarm) => alarm.Namespace === 'AWS/ApiGateway');
    const apiName = resources().ApiGatewayRestApi!.Properties!.Name;
    expect(alarms.map((alarm) => `${alarm.MetricName} ${alarm.Statistic ?? alarm.ExtendedStatistic}`).sort()).toEqual(['5XXError Sum', 'Latency p99']);
    for (const alarm of alarms) expect(alarm.Dimensions).toEqual([{ Name: 'ApiName', Value: apiName }, { Name: 'Stage', Value: 'prod' }]);
  });

  test('DynamoDB throttled requests and system errors are alarmed over every operation on each of the four tables', () => {
    const expressions = Object.values(alarmsOf(withDomain.template))
      .flatMap((alarm) => alarm.Metrics ?? [])
      .map((metric) => (metric.Expression as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'])
      .filter((expression): expression is string => expression?.includes('AWS/DynamoDB') ?? false);
    const tablesIn = (expression: string) => [...expression.matchAll(/TableName = '\$\{(\w+)\}'/g)].map((match) => match[1]).sort();
    expect(expressions.map((expression) => expression.match(/SUM\((\w+)\)/)![1]).sort()).toEqual(['SystemErrors', 'ThrottledRequests']);
    const tables = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').map(([id]) => id).sort();
    expect(tables).toHaveLength(4);
    for (const expression of expressions) {
      expect(expression).toContain('FROM SCHEMA("AWS/DynamoDB", Operation, TableName)');
      expect(tablesIn(expression)).toEqual(tables);
    }
  });

  test('a spike of refused client authentications plus refused one-time tokens is one metric-math alarm on the service\'s own metrics', () => {
    const spike = alarmsOf(withDomain.template).RefusalSpikeAlarm!;
    const returned = spike.Metrics!.filter((metric) => metric.ReturnData);
    expect(returned).toHaveLength(1);
    expect(returned[0]!.Expression).toBe('FILL(clientAuthentications, 0) + FILL(oneTimeTokens, 0)');
    const inputs = spike.Metrics!.filter((metric) => metric.MetricStat).map((metric) => ({ id: metric.Id, ...metric.MetricStat!.Metric, stat: metric.MetricStat!.Stat }));
    // The names the code emits (shared/audit/metrics.ts), the totals with the service dimension only.
    expect(inputs).toEqual([
      { id: 'clientAuthentications', Namespace: METRICS_NAMESPACE, MetricName: METRIC_OF_ACTION.CLIENT_AUTHENTICATION_REFUSED, Dimensions: [{ Name: 'service', Value: 'pairing-service' }], stat: 'Sum' },
      { id: 'oneTimeTokens', Namespace: METRICS_NAMESPACE, MetricName: METRIC_OF_ACTION.ONE_TIME_TOKEN_REFUSED, Dimensions: [{ Name: 'service', Value: 'pairing-service' }], stat: 'Sum' },
    ]);
    expect(Number(spike.Threshold)).toBe(50);
  });

  test('the Director\'s and Connector\'s INTERNAL answers are alarmed (GraphQL errors come with HTTP 200: no Lambda error)', () => {
    const alarms = alarmsOf(withDomain.template);
    for (const [id, metric] of [['DirectorInternalErrorsAlarm', 'DirectorErrors'], ['ConnectorInternalErrorsAlarm', 'ConnectorErrors']] as const) {
      expect(alarms[id]).toMatchObject({
        Namespace: METRICS_NAMESPACE, MetricName: metric, Statistic: 'Sum',
        Dimensions: [{ Name: 'service', Value: 'pairing-service' }, { Name: 'Code', Value: 'INTERNAL' }],
      });
    }
  });

  test('every alarm notifies the alarm topic when it fires and when it recovers, and treats no data as fine', () => {
    const alarms = alarmsOf(withDomain.template);
    // ... + 1: a failed CRL build (crl-errors).
    expect(Object.keys(alarms).length).toBe(SERVING_FUNCTIONS.length * 3 + 2 + 2 + 2 + 1 + 1);
    for (const [id, alarm] of Object.entries(alarms)) {
      expect({ id, AlarmActions: alarm.AlarmActions, OKActions: alarm.OKActions, TreatMissingData: alarm.TreatMissingData }).toEqual({
        id, AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }], TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmName).toMatch(/^pairing-service-prod-/);
    }
    expect(resources().AlarmTopic!.Type).toBe('AWS::SNS::Topic');
  });

  test('--param="alarmTopicEmail=..." subscribes that address to the alarm topic; without it nothing is subscribed', () => {
    const subscribed = Object.values(createdResources(withDomain.template)).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscribed.map((r) => r.Properties)).toEqual([{ TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: { Ref: 'AlarmTopicEmail' } }]);
    expect(parameterValue(withDomain.template, 'AlarmTopicEmail')).toBe(ALARM_EMAIL);
    expect(Object.values(createdResources(withoutDomain.template)).filter((r) => r.Type === 'AWS::SNS::Subscription')).toEqual([]);
    expect(parameterValue(withoutDomain.template, 'AlarmTopicEmail')).toBe('');
    // The topic itself exists either way: the alarms always have somewhere to go.
    expect(createdResources(withoutDomain.template).AlarmTopic?.Type).toBe('AWS::SNS::Topic');
  });

  test('one dashboard shows every pairing and credential metric beside the Lambda, API Gateway and DynamoDB errors and latency', () => {
    const dashboards = Object.values(resources()).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = (dashboards[0]!.Properties!.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    // Valid JSON once CloudFormation has substituted the names; every substitution is a resource or a pseudo parameter.
    const names = [...new Set([...body.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]!))];
    for (const name of names) expect({ name, known: name.startsWith('AWS::') || name in resources() }).toEqual({ name, known: true });
    const dashboard = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'x')) as { widgets: { properties: { metrics?: unknown[][] } }[] };
    const shown = JSON.stringify(dashboard.widgets);
    for (const metric of Object.values(METRIC_OF_ACTION)) expect({ metric, shown: shown.includes(`"${metric}"`) }).toEqual({ metric, shown: true });
    for (const metric of ['"Errors"', '"Throttles"', '"Duration"', '"5XXError"', '"4XXError"', '"Latency"', 'ThrottledRequests', 'SystemErrors', 'DirectorErrors', 'ColdStart']) {
      expect({ metric, shown: shown.includes(metric) }).toEqual({ metric, shown: true });
    }
    for (const fn of SERVING_FUNCTIONS) expect(body).toContain(`\${${logicalId(fn)}}`);
    expect(body).toContain(METRICS_NAMESPACE);
  });
});

describe('docs/deployer-policy.json (the IAM policy README "Deployment" gives a deployer)', () => {
  const policy = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'deployer-policy.json'), 'utf8')) as {
    Version: string;
    Statement: Array<{ Sid: string; Effect: string; Action: string[]; Resource: string | string[] }>;
  };
  /** What CloudFormation calls, with the deployer's credentials, to create, update and delete each resource type. */
  const NEEDED: Record<string, string[]> = {
    'AWS::ApiGateway::BasePathMapping': ['apigateway:POST', 'apigateway:DELETE'],
    'AWS::ApiGateway::Deployment': ['apigateway:POST', 'apigateway:PATCH'],
    'AWS::ApiGateway::DomainName': ['apigateway:POST', 'apigateway:PATCH', 'acm:DescribeCertificate', 's3:GetObject', 's3:GetObjectVersion'],
    'AWS::ApiGateway::Method': ['apigateway:PUT', 'apigateway:DELETE'],
    'AWS::ApiGateway::Resource': ['apigateway:POST', 'apigateway:DELETE'],
    'AWS::ApiGateway::RestApi': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
    'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
    'AWS::CloudWatch::Dashboard': ['cloudwatch:PutDashboard', 'cloudwatch:DeleteDashboards'],
    // The crl function's schedule (rate(1 minute)).
    'AWS::Events::Rule': ['events:PutRule', 'events:DescribeRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
    'AWS::DynamoDB::Table': ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:UpdateContinuousBackups', 'dynamodb:UpdateTimeToLive'],
    'AWS::IAM::Role': ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DeleteRole', 'iam:GetRole', 'iam:PassRole'],
    'AWS::KMS::Alias': ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
    'AWS::KMS::Key': ['kms:CreateKey', 'kms:DescribeKey', 'kms:PutKeyPolicy', 'kms:TagResource', 'kms:ScheduleKeyDeletion'],
    'AWS::Lambda::Function': ['lambda:CreateFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:GetFunction', 'lambda:DeleteFunction', 'lambda:PutFunctionConcurrency'],
    'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:RemovePermission'],
    'AWS::Lambda::Version': ['lambda:PublishVersion', 'lambda:ListVersionsByFunction'],
    'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteLogGroup', 'logs:DescribeLogGroups'],
    'AWS::S3::Bucket': ['s3:CreateBucket', 's3:PutBucketVersioning', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock', 's3:DeleteBucket'],
    'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
    'AWS::SNS::Subscription': ['sns:Subscribe', 'sns:Unsubscribe'],
    'AWS::SNS::Topic': ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes'],
    'AWS::WAFv2::WebACLAssociation': ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACLForResource', 'apigateway:SetWebACL'],
    // CloudFormation invokes a custom resource's function with the caller's credentials.
    'Custom::PairingBootstrap': ['lambda:InvokeFunction'],
  };
  /** serverless deploy itself: the stack, and the deployment bucket's objects. */
  const FRAMEWORK = ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:ValidateTemplate', 'cloudformation:DeleteStack', 's3:PutObject', 's3:ListBucket', 's3:DeleteObject'];
  const allowed = (action: string) =>
    policy.Statement.some((statement) => statement.Effect === 'Allow' && statement.Action.some((pattern) => new RegExp(`^${pattern.replaceAll('*', '.*')}$`, 'i').test(action)));

  test('is an IAM policy document: every statement an Allow with a Sid, actions and resources', () => {
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) {
      expect({ sid: statement.Sid, effect: statement.Effect, actions: statement.Action.length > 0, resource: statement.Resource.length > 0 }).toEqual({
        sid: expect.stringMatching(/^[A-Za-z0-9]+$/),
        effect: 'Allow',
        actions: true,
        resource: true,
      });
      for (const action of statement.Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z*]+$/);
    }
    expect(new Set(policy.Statement.map((statement) => statement.Sid)).size).toBe(policy.Statement.length);
  });

  test('allows what serverless deploy and every resource type of the packaged template need', () => {
    const types = [...new Set(Object.values(withDomain.template.Resources).map((resource) => resource.Type))].sort();
    // A new resource type: add what creating it needs to docs/deployer-policy.json, and to NEEDED here.
    expect(types.filter((type) => !(type in NEEDED))).toEqual([]);
    const missing = [...FRAMEWORK, ...types.flatMap((type) => NEEDED[type]!)].filter((action) => !allowed(action));
    expect(missing).toEqual([]);
  });
});
