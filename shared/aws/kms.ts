// AWS KMS keys: asymmetric signing keys (KeyUsage SIGN_VERIFY), the only place a private key of this service lives, and
// the HMAC key of client-secret verifiers (GENERATE_VERIFY_MAC). No key leaves KMS; callers ask KMS for each signature or MAC.
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
  type Tag,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { KmsClients } from './clients';

/** KMS signs at most this many bytes of a RAW message (larger ones must be sent as a digest). */
export const KMS_MAX_RAW_MESSAGE_BYTES = 4096;

export interface KmsSigningKeyRequest {
  keySpec: Extract<KeySpec, 'RSA_2048' | 'RSA_3072' | 'ECC_NIST_P256'>;
  description: string;
  /** The key policy (JSON); without it KMS applies its default (the account's IAM policies decide). */
  policy?: string;
  tags?: Record<string, string>;
}

export interface KmsSigningKey {
  /** The key's ARN: what callers store and sign with. */
  keyArn: string;
  publicKey: KeyObject;
}

/** KMS deletes no key sooner than this many days after it was scheduled (its minimum waiting period). */
export const KMS_MIN_DELETION_DAYS = 7;

/** KMS computes a MAC of at most this many bytes of message. */
export const KMS_MAX_MAC_MESSAGE_BYTES = 4096;

/** The key's public half (SubjectPublicKeyInfo from GetPublicKey). */
async function publicKeyOf(kms: KMSClient, keyId: string): Promise<KeyObject> {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!out.PublicKey) throw new Error(`KMS GetPublicKey answered without a public key for ${keyId}`);
  return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
}

/**
 * The KMS calls of a running function: signatures, MACs and public keys. Consumers declare the methods they use
 * (e.g. Pick<KmsKeys, 'sign'>).
 */
export class KmsKeys {
  constructor(private readonly clients: KmsClients) {}

  /** The key's public half (SubjectPublicKeyInfo from GetPublicKey). Public material: callers may cache it. */
  publicKey(keyId: string): Promise<KeyObject> {
    return publicKeyOf(this.clients.kms, keyId);
  }

  /**
   * KMS signs `message` with the key: one Sign call per signature. The message goes as RAW (KMS hashes it with the
   * algorithm's hash), which every KMS implementation treats alike; moto 5.2.1 hashes a DIGEST message again.
   * The signature is in KMS's format: PKCS#1 v1.5 bytes for RSA, a DER ECDSA-Sig-Value for ECDSA.
   */
  async sign(keyId: string, message: Buffer, algorithm: SigningAlgorithmSpec): Promise<Buffer> {
    if (message.length > KMS_MAX_RAW_MESSAGE_BYTES) throw new RangeError(`KMS signs at most ${KMS_MAX_RAW_MESSAGE_BYTES} bytes, got ${message.length}`);
    const out = await this.clients.kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }));
    if (!out.Signature) throw new Error(`KMS Sign answered without a signature for ${keyId}`);
    return Buffer.from(out.Signature);
  }

  /**
   * KMS signs the SHA-256 `digest` of a message too large for a RAW Sign (above KMS_MAX_RAW_MESSAGE_BYTES): one Sign call
   * with MessageType DIGEST. moto 5.2.1 hashes a DIGEST message again, so locally the signature is over the wrong bytes:
   * callers check it (e.g. crlSignatureVerifies) before using it.
   */
  async signDigest(keyId: string, digest: Buffer, algorithm: SigningAlgorithmSpec): Promise<Buffer> {
    if (digest.length !== 32) throw new RangeError(`a SHA-256 digest has 32 bytes, got ${digest.length}`);
    const out = await this.clients.kms.send(new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }));
    if (!out.Signature) throw new Error(`KMS Sign answered without a signature for ${keyId}`);
    return Buffer.from(out.Signature);
  }

  /** KMS's HMAC-SHA-256 of `message` under the HMAC_256 key: one GenerateMac call. */
  async generateMac(keyId: string, message: Buffer): Promise<Buffer> {
    if (message.length > KMS_MAX_MAC_MESSAGE_BYTES) throw new RangeError(`KMS MACs at most ${KMS_MAX_MAC_MESSAGE_BYTES} bytes, got ${message.length}`);
    const out = await this.clients.kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    if (!out.Mac) throw new Error(`KMS GenerateMac answered without a MAC for ${keyId}`);
    return Buffer.from(out.Mac);
  }
}

/**
 * The KMS calls that make, look up and retire keys: the bootstrap, `npm start` and the admin CLI. Apart from KmsKeys so
 * that the functions that only sign or verify bundle none of it.
 */
export class KmsKeyAdmin {
  constructor(private readonly clients: KmsClients) {}

  /** The key's public half (SubjectPublicKeyInfo from GetPublicKey). Public material: callers may cache it. */
  publicKey(keyId: string): Promise<KeyObject> {
    return publicKeyOf(this.clients.kms, keyId);
  }

  /** Creates an asymmetric SIGN_VERIFY key and returns its ARN and public key. */
  async createSigningKey(request: KmsSigningKeyRequest): Promise<KmsSigningKey> {
    const tags: Tag[] = Object.entries(request.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    const out = await this.clients.kms.send(
      new CreateKeyCommand({
        KeySpec: request.keySpec,
        KeyUsage: 'SIGN_VERIFY',
        Description: request.description,
        Policy: request.policy,
        Tags: tags.length > 0 ? tags : undefined,
      }),
    );
    const keyArn = out.KeyMetadata?.Arn;
    if (!keyArn) throw new Error('KMS CreateKey answered without a key ARN');
    return { keyArn, publicKey: await this.publicKey(keyArn) };
  }

  /** The key's policy (JSON text): e.g. to give a successor key exactly the same grants. */
  async keyPolicy(keyId: string): Promise<string> {
    const out = await this.clients.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    if (!out.Policy) throw new Error(`KMS GetKeyPolicy answered without a policy for ${keyId}`);
    return out.Policy;
  }

  /**
   * Schedules the key's deletion after `pendingDays` (7-30); until then CancelKeyDeletion brings it back.
   * Returns the deletion date. A key already pending deletion (KMSInvalidStateException) is reported as such.
   */
  async scheduleDeletion(keyId: string, pendingDays = KMS_MIN_DELETION_DAYS): Promise<{ deletionDate?: Date; alreadyPending: boolean }> {
    if (!Number.isInteger(pendingDays) || pendingDays < KMS_MIN_DELETION_DAYS || pendingDays > 30) {
      throw new RangeError(`KMS key deletion waits 7 to 30 days, not ${pendingDays}`);
    }
    // By key id: KMS takes the ARN too, but moto 5.2.1 answers ScheduleKeyDeletion on an ARN with a 500 (it looks the
    // ARN up as an id). A key's id is the last part of its ARN (arn:aws:kms:<region>:<account>:key/<id>).
    const bareKeyId = keyId.startsWith('arn:') ? keyId.slice(keyId.lastIndexOf('/') + 1) : keyId;
    try {
      const out = await this.clients.kms.send(new ScheduleKeyDeletionCommand({ KeyId: bareKeyId, PendingWindowInDays: pendingDays }));
      return { deletionDate: out.DeletionDate, alreadyPending: false };
    } catch (error) {
      if ((error as Error | undefined)?.name === 'KMSInvalidStateException') return { alreadyPending: true };
      throw error;
    }
  }

  /** Replaces the key's policy (JSON). */
  async putKeyPolicy(keyId: string, policy: string): Promise<void> {
    await this.clients.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy }));
  }

  /** Whether the key (id, ARN or alias) exists; false when KMS says it does not. */
  async keyExists(keyId: string): Promise<boolean> {
    try {
      await this.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      return true;
    } catch (error) {
      if ((error as Error | undefined)?.name === 'NotFoundException') return false;
      throw error;
    }
  }

  /**
   * The HMAC_256 key under `alias` (e.g. alias/pairing-service-local-client-secrets), created with it when the alias names
   * none: what `npm start` and the tests do in moto (in AWS, serverless.yml's ClientSecretMacKey is it). Returns its ARN.
   */
  async ensureMacKey(alias: string, description: string): Promise<string> {
    try {
      const existing = await this.clients.kms.send(new DescribeKeyCommand({ KeyId: alias }));
      if (existing.KeyMetadata?.Arn) return existing.KeyMetadata.Arn;
    } catch (error) {
      if ((error as Error | undefined)?.name !== 'NotFoundException') throw error;
    }
    const out = await this.clients.kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: description }));
    const keyArn = out.KeyMetadata?.Arn;
    if (!keyArn || !out.KeyMetadata?.KeyId) throw new Error('KMS CreateKey answered without a key ARN');
    await this.clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: out.KeyMetadata.KeyId }));
    return keyArn;
  }
}
