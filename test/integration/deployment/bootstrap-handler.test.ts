// Pins the PairingBootstrap custom resource handler against local AWS (moto: Secrets Manager and S3) with a stand-in ResponseURL.
import crypto from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../../functions/bootstrap/handler';
import { resetConfig } from '../../../shared/config';
import { resetClients, secretsManager } from '../../../shared/aws/clients';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { createKmsSigningKey } from '../../../shared/aws/kms';
import { clearSecretCache, createSecret, deleteSecret, readSecret, secretName } from '../../../shared/aws/secrets';
import { ensureCertificateAuthority } from '../../../shared/certificates/ca';
import { ensureSigningKey, forgetSigningKeys } from '../../../shared/oauth/signing-keys';
import { resetTruststoreS3 } from '../../../shared/deployment/truststore';
import { customResourceEvent, lambdaContext, ResponseUrlStandIn } from '../../deployment/cloudformation-stand-in';
import { localAwsEndpoints } from '../../support/local-aws';

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
  clearSecretCache();
  forgetSigningKeys();
  return prefix;
}

async function secretValue(name: string): Promise<string | undefined> {
  return readSecret(secretName(name), 0);
}

/** The secret's version ids: a rewrite of the same value would still add one. */
async function secretVersions(name: string): Promise<string[]> {
  const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: secretName(name) }));
  return Object.keys(out.VersionIdsToStages ?? {}).sort();
}

async function caCertificatePem(): Promise<string> {
  const stored = await secretValue('pairing-ca');
  if (stored === undefined) throw new Error('pairing-ca secret is missing');
  return (JSON.parse(stored) as { certificatePem: string }).certificatePem;
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
  resetClients();
  resetTruststoreS3();
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
    expect(await secretValue('pairing-ca-certificate')).toBe(await caCertificatePem());
  });

  test('Create starts with the template\'s KMS key (TokenSigningKeyArn), and refuses a value that is no ARN', async () => {
    useFreshPrefix();
    const { keyArn } = await createKmsSigningKey({ keySpec: 'ECC_NIST_P256', description: 'bootstrap test' });
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

  test('Create on a stack whose private secrets predate the public ones adds the CA certificate, and moves token signing to KMS', async () => {
    useFreshPrefix();
    // What a stack deployed before the public secrets existed holds: pairing-ca and token-signing-keys (a private JWK) alone.
    await ensureCertificateAuthority();
    await deleteSecret(secretName('pairing-ca-certificate'));
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const oldKid = await calculateJwkThumbprint(publicJwk);
    const createdAt = new Date().toISOString();
    await createSecret(secretName('token-signing-keys'), JSON.stringify({ activeKid: oldKid, keys: [{ kid: oldKid, alg: 'ES256', privateJwk: await exportJWK(privateKey), publicJwk, createdAt }] }));
    forgetSigningKeys();
    const caBefore = await secretValue('pairing-ca');
    const caVersions = await secretVersions('pairing-ca');

    const created = await invoke('Create', properties());

    expect(created.Status).toBe('SUCCESS');
    expect(await secretValue('pairing-ca')).toBe(caBefore);
    expect(await secretVersions('pairing-ca')).toEqual(caVersions);
    expect(await secretValue('pairing-ca-certificate')).toBe(JSON.parse(caBefore!).certificatePem);
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
    await ensureCertificateAuthority();
    const caBefore = await secretValue('pairing-ca');
    const caVersionsBefore = await secretVersions('pairing-ca');

    const first = await invoke('Create', properties());
    const signingKeysAfterFirst = await secretValue('token-signing-public-keys');
    const second = await invoke('Create', properties());

    expect(first.Status).toBe('SUCCESS');
    expect(second.Status).toBe('SUCCESS');
    expect(await secretValue('pairing-ca')).toBe(caBefore);
    expect(await secretVersions('pairing-ca')).toEqual(caVersionsBefore);
    expect(await secretValue('token-signing-public-keys')).toBe(signingKeysAfterFirst);
    for (const name of ['pairing-ca-certificate', 'token-signing-public-keys']) expect(await secretVersions(name)).toHaveLength(1);
    const published = await readObject((second.Data as Record<string, string>).TruststoreVersion!);
    expect(published).toBe(JSON.parse(caBefore!).certificatePem);
  });

  test('Update keeps the physical id and the CA, and republishes the same certificate', async () => {
    useFreshPrefix();
    const created = await invoke('Create', properties());
    const caAfterCreate = await secretValue('pairing-ca');
    const physicalId = created.PhysicalResourceId as string;

    const updated = await invoke('Update', properties(), physicalId);

    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
    expect(await secretValue('pairing-ca')).toBe(caAfterCreate);
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
    const caBefore = await secretValue('pairing-ca');
    const keysBefore = await secretValue('token-signing-public-keys');
    const versionsBefore = await objectVersions();

    const deleted = await invoke('Delete', properties(), created.PhysicalResourceId as string);

    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(await secretValue('pairing-ca')).toBe(caBefore);
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
    expect(await secretValue('pairing-ca')).toBeUndefined();
  });

  test('an S3 failure answers FAILED with a reason naming the step, and no secret in it', async () => {
    useFreshPrefix();
    const failed = await invoke('Create', { TruststoreBucket: `missing-${crypto.randomBytes(6).toString('hex')}`, TruststoreKey: TRUSTSTORE_KEY });

    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/could not write the truststore to s3:\/\/missing-[0-9a-f]+\/truststore\/pairing-ca\.pem \(NoSuchBucket\)/);
    const ca = JSON.parse((await secretValue('pairing-ca'))!) as { certificatePem: string; privateKeyPem: string };
    const keyBody = ca.privateKeyPem.split('\n')[1]!;
    const document = JSON.stringify(failed);
    expect(document).not.toMatch(/PRIVATE KEY/);
    expect(document).not.toContain(keyBody);
    expect(failed.Data).toBeUndefined();
  });

  test('answers FAILED before the Lambda times out when a step hangs', async () => {
    useFreshPrefix();
    // The secrets exist, so the time goes to the hanging S3 write.
    await ensureCertificateAuthority();
    await ensureSigningKey();
    // An "S3" that accepts connections and never answers.
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    resetTruststoreS3();
    try {
      const started = Date.now();
      // 10 s is the handler's response margin: 1.5 s are left for the work.
      const failed = await invoke('Create', properties(), undefined, 11_500);

      expect(failed.Status).toBe('FAILED');
      expect(failed.Reason).toMatch(/^timed out after 2 s/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = motoEndpoint;
      resetTruststoreS3();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});
