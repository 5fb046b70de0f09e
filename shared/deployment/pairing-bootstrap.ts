// The PairingBootstrap custom resource: creates the pairing CA and the token signing key when absent, and publishes the trusted CA certificates as the mTLS truststore.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { truststorePem, type CaLifecycle } from '../certificates/ca-lifecycle';
import { caGeneration, currentCa, pendingCa } from '../certificates/ca-registry';
import type { SigningKeyLifecycle } from '../oauth/signing-key-lifecycle';
import type { CustomResourceOutcome } from './cfn-response';
import { CustomResourceFailure, physicalResourceIdOf } from './custom-resource';
import { publishTruststore, type PublishedTruststore, type TruststoreLocation } from './truststore';

/** The resource's properties in serverless.yml (CloudFormation passes every value as a string). */
export interface PairingBootstrapProperties {
  TruststoreBucket: string;
  TruststoreKey: string;
  /** The template's first access-token signing key (KMS); without it the bootstrap creates one (the local stack). */
  TokenSigningKeyArn?: string;
  /** The first CA's KMS key (serverless.yml PairingCaKey), used when the stage has no CA registry yet. */
  CaKeyArn?: string;
  /**
   * The CA generation the deployer expects to be current (stack parameter caGeneration): changing it re-runs this
   * resource, which publishes the truststore after `rotate-ca --stage` or `retire-ca --stage`; a number above the
   * registry's current generation fails the deployment (rotate first).
   */
  CaGeneration?: string;
}

/** Fn::GetAtt names of the resource. */
export interface PairingBootstrapData {
  TruststoreUri: string;
  TruststoreVersion: string;
  /** The registry id of the current CA. */
  CurrentCaId: string;
  [name: string]: string;
}

/** One per stage: the secrets it guards are named by the stage's prefix. */
export const pairingBootstrapId = (settings: Pick<Config, 'secretsPrefix'>): string => `pairing-bootstrap:${settings.secretsPrefix}`;

/** What the bootstrap works with, built by its composition root. */
export interface PairingBootstrapParts {
  cas: Pick<CaLifecycle, 'ensure' | 'checkCurrentKey'>;
  signingKeys: Pick<SigningKeyLifecycle, 'ensure'>;
  /** Writes the truststore object: asked for per deployment, so a client made anew (tests) is the one used. */
  s3: () => Pick<S3Client, 'send'>;
  settings: () => Pick<Config, 'secretsPrefix'>;
}

function truststoreLocation(properties: Record<string, unknown>): TruststoreLocation {
  const text = (name: keyof PairingBootstrapProperties): string => {
    const value = properties[name];
    if (typeof value !== 'string' || value.trim() === '') throw new CustomResourceFailure(`property ${name} is missing or empty`);
    return value;
  };
  return { bucket: text('TruststoreBucket'), key: text('TruststoreKey') };
}

/** Runs one step; its failure is reported by the step's name and the error's name only (the message may quote AWS or a secret). */
async function step<T>(description: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    const name = (cause as Error | undefined)?.name ?? 'Error';
    throw new CustomResourceFailure(`could not ${description} (${name})`, { cause });
  }
}

export interface BootstrapOptions {
  /** The first CA's KMS key when the template declares it (PairingCaKey). */
  caKeyArn?: string;
  /** The template's first access-token signing key (KMS); without it the bootstrap creates one (the local stack). */
  tokenSigningKeyArn?: string;
  /** The CA generation the deployment expects (see PairingBootstrapProperties.CaGeneration). */
  caGeneration?: number;
}

/**
 * Makes sure the stage's pairing CA (KMS key, registry) and signing key exist (never replacing existing ones: certificates
 * already issued and tokens already signed stay valid) and publishes every trusted CA certificate as the truststore.
 */
async function bootstrapPairing(location: TruststoreLocation, parts: PairingBootstrapParts, options: BootstrapOptions = {}): Promise<PublishedTruststore & { currentCaId: string }> {
  const registry = await step('create or find the pairing CA (KMS key and registry)', () => parts.cas.ensure({ keyArn: options.caKeyArn }));
  await step('set up the token signing key in KMS', () => parts.signingKeys.ensure({ keyArn: options.tokenSigningKeyArn }));
  // The current CA's certificate must belong to its KMS key: a damaged registry fails the deployment here.
  await step('check the current pairing CA against its KMS key', () => parts.cas.checkCurrentKey(registry));
  const current = currentCa(registry);
  const newest = pendingCa(registry) ?? current;
  if (options.caGeneration !== undefined && options.caGeneration > (caGeneration(newest.id) ?? 0)) {
    throw new CustomResourceFailure(`caGeneration is ${options.caGeneration} but the newest pairing CA is ${newest.id}: run rotate-ca for this stage first`);
  }
  const published = await step(`write the truststore to s3://${location.bucket}/${location.key}`, () => publishTruststore(location, truststorePem(registry), parts.s3()));
  return { ...published, currentCaId: current.id };
}

function bootstrapOptions(properties: Record<string, unknown>): BootstrapOptions {
  const { CaKeyArn, CaGeneration, TokenSigningKeyArn } = properties;
  if (TokenSigningKeyArn !== undefined && (typeof TokenSigningKeyArn !== 'string' || !/^arn:aws[a-z-]*:kms:/.test(TokenSigningKeyArn))) {
    throw new CustomResourceFailure('property TokenSigningKeyArn is not a KMS key ARN');
  }
  if (CaKeyArn !== undefined && (typeof CaKeyArn !== 'string' || !/^arn:aws[a-z-]*:kms:/.test(CaKeyArn))) {
    throw new CustomResourceFailure('property CaKeyArn is not a KMS key ARN');
  }
  if (CaGeneration !== undefined && (typeof CaGeneration !== 'string' || !/^[1-9][0-9]{0,5}$/.test(CaGeneration))) {
    throw new CustomResourceFailure('property CaGeneration is not a positive whole number');
  }
  return {
    caKeyArn: CaKeyArn as string | undefined,
    tokenSigningKeyArn: TokenSigningKeyArn as string | undefined,
    caGeneration: CaGeneration === undefined ? undefined : Number(CaGeneration),
  };
}

/**
 * The resource's answer to one CloudFormation request. Delete keeps everything: the secrets outlive
 * the stack (like the Retain tables), so a re-created stack trusts the certificates issued before.
 */
export async function pairingBootstrapOutcome(event: CloudFormationCustomResourceEvent, parts: PairingBootstrapParts): Promise<CustomResourceOutcome> {
  const physicalResourceId = physicalResourceIdOf(event, pairingBootstrapId(parts.settings()));
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', physicalResourceId };
  const published = await bootstrapPairing(truststoreLocation(event.ResourceProperties), parts, bootstrapOptions(event.ResourceProperties));
  const data: PairingBootstrapData = { TruststoreUri: published.uri, TruststoreVersion: published.version, CurrentCaId: published.currentCaId };
  return { status: 'SUCCESS', physicalResourceId, data };
}
