// The PairingBootstrap custom resource: creates the pairing CA and the token signing key when absent, and publishes the CA certificate as the mTLS truststore.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { config } from '../config';
import { ensureCertificateAuthority, loadCertificateAuthority } from '../certificates/ca';
import { ensureSigningKey } from '../oauth/signing-keys';
import type { CustomResourceOutcome } from './cfn-response';
import { CustomResourceFailure, physicalResourceIdOf } from './custom-resource';
import { publishTruststore, type PublishedTruststore, type TruststoreLocation } from './truststore';

/** The resource's properties in serverless.yml (CloudFormation passes every value as a string). */
export interface PairingBootstrapProperties {
  TruststoreBucket: string;
  TruststoreKey: string;
  /** The template's first access-token signing key (KMS); without it the bootstrap creates one (the local stack). */
  TokenSigningKeyArn?: string;
}

/** Fn::GetAtt names of the resource. */
export interface PairingBootstrapData {
  TruststoreUri: string;
  TruststoreVersion: string;
  [name: string]: string;
}

/** One per stage: the secrets it guards are named by the stage's prefix. */
export const pairingBootstrapId = (): string => `pairing-bootstrap:${config().secretsPrefix}`;

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

/**
 * Makes sure the stage's pairing secrets exist (never replacing existing ones: certificates already
 * issued and tokens already signed stay valid) and publishes the CA certificate.
 */
export async function bootstrapPairing(location: TruststoreLocation, s3?: S3Client, tokenSigningKeyArn?: string): Promise<PublishedTruststore> {
  await step('create or find the pairing CA in Secrets Manager', () => ensureCertificateAuthority());
  await step('set up the token signing key in KMS', () => ensureSigningKey({ keyArn: tokenSigningKeyArn }));
  // Loading parses and checks the stored CA, so a damaged secret fails the deployment here.
  const authority = await step('load the pairing CA', () => loadCertificateAuthority());
  return step(`write the truststore to s3://${location.bucket}/${location.key}`, () => publishTruststore(location, authority.certificatePem, s3));
}

/**
 * The resource's answer to one CloudFormation request. Delete keeps everything: the secrets outlive
 * the stack (like the Retain tables), so a re-created stack trusts the certificates issued before.
 */
export async function pairingBootstrapOutcome(event: CloudFormationCustomResourceEvent, s3?: S3Client): Promise<CustomResourceOutcome> {
  const physicalResourceId = physicalResourceIdOf(event, pairingBootstrapId());
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', physicalResourceId };
  const keyArn = event.ResourceProperties.TokenSigningKeyArn;
  if (keyArn !== undefined && (typeof keyArn !== 'string' || !keyArn.startsWith('arn:'))) throw new CustomResourceFailure('property TokenSigningKeyArn is not a KMS key ARN');
  const published = await bootstrapPairing(truststoreLocation(event.ResourceProperties), s3, keyArn);
  const data: PairingBootstrapData = { TruststoreUri: published.uri, TruststoreVersion: published.version };
  return { status: 'SUCCESS', physicalResourceId, data };
}
