// Pins the PairingBootstrap custom resource handler against local AWS (moto: Secrets Manager, KMS and S3) with a stand-in ResponseURL.
import crypto from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { bucketClients, handler } from '../../../functions/bootstrap/handler';
import { resetConfig } from '../../../shared/config';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { truststorePem } from '../../../shared/certificates/ca-lifecycle';
import { currentCa, parseRegistry } from '../../../shared/certificates/ca-registry';
import { testCertificateAuthority } from '../../unit/certificates/key-object-signer';
import { customResourceEvent, lambdaContext, ResponseUrlStandIn } from '../../deployment/cloudformation-stand-in';
import { localAwsEndpoints } from '../../support/local-aws';
import { aws, signingKeys, secrets, kmsAdmin, signingKeyLifecycle } from '../../../functions/container';
import { caLifecycle } from '../../support/stores';

const motoEndpoint = localAwsEndpoints().secretsManager;
const TRUSTSTORE_KEY = 'truststore/pairing-ca.pem';

const responseUrl = new ResponseUrlStandIn();
let s3: S3Client;
let bucket: string;

/** A fresh Secrets Manager prefix: the stage's secrets start absent. */
function useFreshPrefix(): string {
  const prefix = `pairing-service/bootstrap-${crypto.randomBytes(5).toString('hex')}`;
  process.env.SECRETS_PREFIX = prefix;
  resetConfig();
  secrets.clearCache();
  signingKeys.forget();
  return prefix;
}

async function secretValue(name: string): Promise<string | undefined> {
  return secrets.read(name, 0);
}

/** The secret's version ids: a rewrite of the same value would still add one. */
async function secretVersions(name: string): Promise<string[]> {
  const out = await aws.secretsManager.send(new DescribeSecretCommand({ SecretId: secrets.fullName(name) }));
  return Object.keys(out.VersionIdsToStages ?? {}).sort();
}

/** The CA registry (public: certificates and KMS key ARNs). */
const REGISTRY = 'pairing-ca-registry';

/** What the truststore must hold: every CA of the registry not retired. */
async function caCertificatePem(): Promise<string> {
  const stored = await secretValue(REGISTRY);
  if (stored === undefined) throw new Error(`${REGISTRY} secret is missing`);
  return truststorePem(parseRegistry(stored));
}

async function objectVersions(key = TRUSTSTORE_KEY): Promise<string[]> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return (out.Versions ?? []).map((version) => version.VersionId ?? '');
}

async function readObject(versionId: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: TRUSTSTORE_KEY, VersionId: versionId }));
  return out.Body!.transformToString('utf8');
}

/** Invokes the handler for one request and returns the single response document it PUT. */
async function invoke(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string>,
  physicalResourceId?: string,
  remainingMs?: number,
): Promise<Record<string, unknown>> {
  const id = crypto.randomBytes(6).toString('hex');
  const event = customResourceEvent(responseUrl.url(id), requestType, properties, physicalResourceId);
  await handler(event, lambdaContext(remainingMs));
  const responses = responseUrl.responsesTo(id);
  expect(responses).toHaveLength(1);
  const [response] = responses;
  expect(response!.method).toBe('PUT');
  expect(response!.body).toMatchObject({ StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: 'PairingBootstrap' });
  return response!.body;
}

const properties = () => ({ TruststoreBucket: bucket, TruststoreKey: TRUSTSTORE_KEY });

beforeAll(async () => {
  process.env.AWS_ENDPOINT_URL_S3 = motoEndpoint;
  aws.reset();
  bucketClients.reset();
  s3 = new S3Client({ endpoint: motoEndpoint, forcePathStyle: true });
  bucket = `truststore-${crypto.randomBytes(6).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await responseUrl.start();
});

afterAll(async () => {
  await responseUrl.stop();
  s3.destroy();
});

describe('PairingBootstrap custom resource', () => {
  test('Create generates the CA and the signing key, publishes the CA certificate and answers SUCCESS with the truststore', async () => {
    const prefix = useFreshPrefix();
    const id = crypto.randomBytes(6).toString('hex');
    const event = customResourceEvent(responseUrl.url(id), 'Create', properties());
    await handler(event, lambdaContext());

    const [response] = responseUrl.responsesTo(id);
    // The pre-signed URL is signed without a content type.
    expect(response!.headers['content-type']).toBe('');
    const body = response!.body;
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `pairing-bootstrap:${prefix}`, RequestId: event.RequestId });
    const data = body.Data as Record<string, string>;
    expect(data.TruststoreUri).toBe(`s3://${bucket}/${TRUSTSTORE_KEY}`);
    expect(await objectVersions()).toContain(data.TruststoreVersion);

    const truststore = await readObject(data.TruststoreVersion!);
    expect(truststore).toBe(await caCertificatePem());
    expect(truststore).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(truststore).not.toMatch(/PRIVATE KEY/);
    expect(new crypto.X509Certificate(truststore).ca).toBe(true);
    // The token-signing key is a KMS key; the set names it and holds its public JWK, and no private key is stored.
    const signingKeys = JSON.parse((await secretValue('token-signing-public-keys'))!) as { activeKid: string; keys: Array<Record<string, unknown>> };
    expect(signingKeys.keys).toEqual([{ kid: signingKeys.activeKid, alg: 'ES256', keyArn: expect.stringMatching(/^arn:aws:kms:/), publicJwk: expect.objectContaining({ kty: 'EC' }), createdAt: expect.any(String) }]);
    expect(await secretValue('token-signing-keys')).toBeUndefined();
    // The CA's key is in KMS too: the registry names it, and no private CA secret is stored.
    expect(data.CurrentCaId).toBe('ca-1');
    expect(currentCa(parseRegistry((await secretValue(REGISTRY))!)).keyArn).toMatch(/^arn:aws:kms:/);
    expect(await secretValue('pairing-ca')).toBeUndefined();
  });

  test('Create starts with the template\'s KMS key (TokenSigningKeyArn), and refuses a value that is no ARN', async () => {
    useFreshPrefix();
    const { keyArn } = await kmsAdmin.createSigningKey({ keySpec: 'ECC_NIST_P256', description: 'bootstrap test' });
    const created = await invoke('Create', { ...properties(), TokenSigningKeyArn: keyArn });
    expect(created.Status).toBe('SUCCESS');
    const signingKeys = JSON.parse((await secretValue('token-signing-public-keys'))!) as { activeKid: string; keys: Array<{ keyArn: string }> };
    expect(signingKeys.keys.map((key) => key.keyArn)).toEqual([keyArn]);

    useFreshPrefix();
    const failed = await invoke('Create', { ...properties(), TokenSigningKeyArn: 'alias/not-an-arn' });
    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/^property TokenSigningKeyArn is not a KMS key ARN/);
    expect(await secretValue('token-signing-public-keys')).toBeUndefined();
  });

  test('Create on a stack whose CA predates KMS migrates it: old CA trusted as ca-1, ca-2 in KMS current, private key deleted', async () => {
    useFreshPrefix();
    const legacy = await testCertificateAuthority({ commonName: 'Legacy Pairing CA' });
    const create = (Name: string, SecretString: string) => aws.secretsManager.send(new CreateSecretCommand({ Name: secrets.fullName(Name), SecretString }));
    await create('pairing-ca', JSON.stringify({ certificatePem: legacy.certificatePem, privateKeyPem: legacy.privateKeyPem }));
    await create('pairing-ca-certificate', legacy.certificatePem);

    const created = await invoke('Create', properties());

    expect(created.Status).toBe('SUCCESS');
    expect((created.Data as Record<string, string>).CurrentCaId).toBe('ca-2');
    expect(await secretValue('pairing-ca')).toBeUndefined();
    const registry = parseRegistry((await secretValue(REGISTRY))!);
    expect(registry.cas.map(({ id, status }) => `${id}:${status}`)).toEqual(['ca-1:previous', 'ca-2:current']);
    const truststore = await readObject((created.Data as Record<string, string>).TruststoreVersion!);
    expect(truststore).toBe(`${currentCa(registry).certificatePem}${legacy.certificatePem}`);
  });

  test('after rotate-ca, an Update with the new caGeneration publishes both CAs; a generation ahead of the registry fails naming it', async () => {
    useFreshPrefix();
    const created = await invoke('Create', { ...properties(), CaGeneration: '1' });
    const physicalId = created.PhysicalResourceId as string;
    const ahead = await invoke('Update', { ...properties(), CaGeneration: '2' }, physicalId);
    expect(ahead.Status).toBe('FAILED');
    expect(ahead.Reason).toMatch(/^caGeneration is 2 but the newest pairing CA is ca-1: run rotate-ca for this stage first/);

    const rotation = await caLifecycle.rotate();
    secrets.clearCache();
    const updated = await invoke('Update', { ...properties(), CaGeneration: '2' }, physicalId);
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
    const truststore = await readObject((updated.Data as Record<string, string>).TruststoreVersion!);
    expect(truststore.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(truststore.startsWith(rotation.certificatePem)).toBe(true);
    expect((updated.Data as Record<string, string>).CurrentCaId).toBe('ca-2');
  });

  test('bad CaKeyArn or CaGeneration properties answer FAILED naming them', async () => {
    useFreshPrefix();
    expect((await invoke('Create', { ...properties(), CaKeyArn: 'not-an-arn' })).Reason).toMatch(/^property CaKeyArn is not a KMS key ARN/);
    expect((await invoke('Create', { ...properties(), CaGeneration: 'two' })).Reason).toMatch(/^property CaGeneration is not a positive whole number/);
  });

  test('Create on a stack whose signing key predates KMS moves token signing to KMS, changing no CA secret', async () => {
    useFreshPrefix();
    // What a stack deployed before KMS token signing holds: token-signing-keys (a private JWK) alone (and its CA registry).
    await caLifecycle.ensure();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const oldKid = await calculateJwkThumbprint(publicJwk);
    const createdAt = new Date().toISOString();
    await secrets.create('token-signing-keys', JSON.stringify({ activeKid: oldKid, keys: [{ kid: oldKid, alg: 'ES256', privateJwk: await exportJWK(privateKey), publicJwk, createdAt }] }));
    signingKeys.forget();
    const caBefore = await secretValue(REGISTRY);
    const caVersions = await secretVersions(REGISTRY);

    const created = await invoke('Create', properties());

    expect(created.Status).toBe('SUCCESS');
    expect(await secretValue(REGISTRY)).toBe(caBefore);
    expect(await secretVersions(REGISTRY)).toEqual(caVersions);
    expect(await secretValue('pairing-ca')).toBeUndefined();
    // The private JWK is gone; its public half stays published (retired) beside the new KMS key.
    expect(await secretValue('token-signing-keys')).toBeUndefined();
    const set = JSON.parse((await secretValue('token-signing-public-keys'))!) as { activeKid: string; keys: Array<Record<string, unknown>> };
    expect(set.keys).toEqual([
      { kid: oldKid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, createdAt, retiredAt: expect.any(String) },
      expect.objectContaining({ kid: set.activeKid, keyArn: expect.stringMatching(/^arn:aws:kms:/) }),
    ]);
  });

  test('Create keeps a CA that already exists and publishes its certificate; a repeated Create changes no secret (idempotent)', async () => {
    useFreshPrefix();
    await caLifecycle.ensure();
    const caBefore = await secretValue(REGISTRY);
    const caVersionsBefore = await secretVersions(REGISTRY);

    const first = await invoke('Create', properties());
    const signingKeysAfterFirst = await secretValue('token-signing-public-keys');
    const second = await invoke('Create', properties());

    expect(first.Status).toBe('SUCCESS');
    expect(second.Status).toBe('SUCCESS');
    expect(await secretValue(REGISTRY)).toBe(caBefore);
    expect(await secretVersions(REGISTRY)).toEqual(caVersionsBefore);
    expect(await secretValue('token-signing-public-keys')).toBe(signingKeysAfterFirst);
    expect(await secretVersions('token-signing-public-keys')).toHaveLength(1);
    const published = await readObject((second.Data as Record<string, string>).TruststoreVersion!);
    expect(published).toBe(truststorePem(parseRegistry(caBefore!)));
  });

  test('Update keeps the physical id and the CA, and republishes the same certificate', async () => {
    useFreshPrefix();
    const created = await invoke('Create', properties());
    const caAfterCreate = await secretValue(REGISTRY);
    const physicalId = created.PhysicalResourceId as string;

    const updated = await invoke('Update', properties(), physicalId);

    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
    expect(await secretValue(REGISTRY)).toBe(caAfterCreate);
    const data = updated.Data as Record<string, string>;
    expect(data.TruststoreUri).toBe(`s3://${bucket}/${TRUSTSTORE_KEY}`);
    expect(await readObject(data.TruststoreVersion!)).toBe(await caCertificatePem());
  });

  test('Update to another truststore key publishes the certificate there', async () => {
    useFreshPrefix();
    const created = await invoke('Create', properties());
    const otherKey = `truststore/${crypto.randomBytes(4).toString('hex')}.pem`;

    const updated = await invoke('Update', { TruststoreBucket: bucket, TruststoreKey: otherKey }, created.PhysicalResourceId as string);

    expect((updated.Data as Record<string, string>).TruststoreUri).toBe(`s3://${bucket}/${otherKey}`);
    expect(await objectVersions(otherKey)).toEqual([(updated.Data as Record<string, string>).TruststoreVersion]);
  });

  test('Delete answers SUCCESS and keeps the secrets and the truststore', async () => {
    useFreshPrefix();
    const created = await invoke('Create', properties());
    const caBefore = await secretValue(REGISTRY);
    const keysBefore = await secretValue('token-signing-public-keys');
    const versionsBefore = await objectVersions();

    const deleted = await invoke('Delete', properties(), created.PhysicalResourceId as string);

    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(await secretValue(REGISTRY)).toBe(caBefore);
    expect(await secretValue('token-signing-public-keys')).toBe(keysBefore);
    expect(await objectVersions()).toEqual(versionsBefore);
  });

  test('Delete answers SUCCESS without properties (the rollback of a Create that failed on them)', async () => {
    useFreshPrefix();
    const deleted = await invoke('Delete', {}, 'pairing-bootstrap:whatever');
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'pairing-bootstrap:whatever' });
  });

  test('a missing property answers FAILED naming it and creates no secret', async () => {
    useFreshPrefix();
    const failed = await invoke('Create', { TruststoreBucket: bucket });

    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/^property TruststoreKey is missing or empty \(details: CloudWatch Logs /);
    expect(await secretValue(REGISTRY)).toBeUndefined();
  });

  test('an S3 failure answers FAILED with a reason naming the step, and no secret in it', async () => {
    useFreshPrefix();
    const failed = await invoke('Create', { TruststoreBucket: `missing-${crypto.randomBytes(6).toString('hex')}`, TruststoreKey: TRUSTSTORE_KEY });

    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/could not write the truststore to s3:\/\/missing-[0-9a-f]+\/truststore\/pairing-ca\.pem \(NoSuchBucket\)/);
    // The CA's key is in KMS: neither the registry nor the answer holds a private key.
    expect(await secretValue(REGISTRY)).not.toMatch(/PRIVATE KEY/);
    const document = JSON.stringify(failed);
    expect(document).not.toMatch(/PRIVATE KEY/);
    expect(failed.Data).toBeUndefined();
  });

  test('answers FAILED before the Lambda times out when a step hangs', async () => {
    useFreshPrefix();
    // The secrets exist, so the time goes to the hanging S3 write.
    await caLifecycle.ensure();
    await signingKeyLifecycle.ensure();
    // An "S3" that accepts connections and never answers.
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    bucketClients.reset();
    try {
      const started = Date.now();
      // 10 s is the handler's response margin: 1.5 s are left for the work.
      const failed = await invoke('Create', properties(), undefined, 11_500);

      expect(failed.Status).toBe('FAILED');
      expect(failed.Reason).toMatch(/^timed out after 2 s/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = motoEndpoint;
      bucketClients.reset();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});
