// The pairing CAs' lifecycle, run by the bootstrap and the admin CLI: the first CA (and the migration of a CA whose key
// was kept in Secrets Manager), rotation to a new KMS key, activation of a pending CA, retirement, the key policies rotate-ca gives a new key, and
// the truststore of every CA not retired.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { SERVICE_NAME, type Config } from '../config';
import type { KmsKeyAdmin, KmsKeys } from '../aws/kms';
import { SecretExistsError, type SecretStore } from '../aws/secrets';
import { logger } from '../logger';
import { CA_KEY_SPEC, createCaCertificate, kmsCaSigner } from './ca';
import {
  currentCa,
  initialRegistry,
  nextCaId,
  pendingCa,
  withActivated,
  CaRegistryError,
  serializeRegistry,
  trustedCas,
  withRetired,
  withRotation,
  type CaRegistry,
} from './ca-registry';
import { CA_REGISTRY_SECRET, type CaRegistryStore } from './ca-registry-secret';

/** A CA whose private key is kept in Secrets Manager: its certificate and key (JSON). The bootstrap deletes it once the registry exists. */
export const LEGACY_CA_SECRET = 'pairing-ca';
/** That CA's certificate alone (PEM): the migration trusts it as CA ca-1 (previous); never deleted (public). */
export const LEGACY_CA_CERTIFICATE_SECRET = 'pairing-ca-certificate';

/** The CA's common name: ca-1 is "Pairing Service CA", the name a migrated CA has too; later ones say which generation they are. */
const caCommonName = (id: string): string => (id === 'ca-1' ? 'Pairing Service CA' : `Pairing Service CA ${id}`);

/** The truststore: the PEM certificates of every CA not retired, current first (S3 object, local mTLS endpoint). */
export const truststorePem = (registry: CaRegistry): string =>
  trustedCas(registry)
    .map((ca) => (ca.certificatePem.endsWith('\n') ? ca.certificatePem : `${ca.certificatePem}\n`))
    .join('');

/** Sid of the CA key policy's statement that lets the account's IAM administer the key (serverless.yml, PairingCaKey). */
export const KEY_ADMINISTRATION_SID = 'KeyAdministration';

/**
 * What the account's administrators may do with a CA key, each action named: no wildcard, so neither kms:Sign nor
 * kms:CreateGrant (which would let any principal with that IAM permission give itself a Sign grant) is among them.
 * serverless.yml lists the same for the first CA's key; the template test pins both.
 */
export const CA_KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:EnableKey',
  'kms:GetKeyPolicy',
  'kms:GetPublicKey',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/**
 * The key policy `policy` (JSON) with its administration statement's actions set to CA_KEY_ADMINISTRATION_ACTIONS:
 * rotate-ca gives the new key the current key's policy, and a key made before the list was explicit must not pass
 * its wildcards on.
 */
export function withExplicitKeyAdministration(policy: string): string {
  const document = JSON.parse(policy) as { Statement?: Array<Record<string, unknown>> };
  if (!document.Statement?.some((statement) => statement.Sid === KEY_ADMINISTRATION_SID)) return policy;
  const Statement = document.Statement.map((statement) =>
    statement.Sid === KEY_ADMINISTRATION_SID ? { ...statement, Action: [...CA_KEY_ADMINISTRATION_ACTIONS] } : statement);
  return JSON.stringify({ ...document, Statement });
}

/** Sid of the key policy statement that lets the rotating administrator self-sign the new CA certificate. */
export const ROTATION_SIGNER_SID = 'RotateCaSelfSignature';

/**
 * The key policy `policy` (JSON) plus one statement granting kms:Sign to the account of `keyArn` (so IAM decides: the
 * administrator running rotate-ca), for the new CA's self-signature only: rotate-ca puts `policy` back right after.
 */
export function withRotationSigner(policy: string, keyArn: string): string {
  const account = /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):key\//.exec(keyArn)?.[1];
  const document = JSON.parse(policy) as { Version?: string; Statement?: unknown[] };
  if (!account) return policy;
  const partition = keyArn.split(':')[1];
  const statement = { Sid: ROTATION_SIGNER_SID, Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:Sign', Resource: '*' };
  return JSON.stringify({ ...document, Statement: [...(document.Statement ?? []), statement] });
}

export interface EnsureCertificateAuthorityOptions {
  /** The KMS key of the first CA when the deployment declares it (serverless.yml PairingCaKey); else a key is created. */
  keyArn?: string;
  now?: Date;
}

/** What rotate-ca did. */
export interface CaRotation {
  previousCaId: string;
  currentCaId: string;
  /** With --pending: the new CA, trusted but not issuing until activate-ca; currentCaId is then still the old one. */
  pendingCaId: string | null;
  keyArn: string;
  certificatePem: string;
  trustedCaIds: string[];
}

/** What activate-ca did. */
export interface CaActivation {
  previousCaId: string;
  currentCaId: string;
  trustedCaIds: string[];
}

/** Counts what still keeps a CA in the truststore: its certificates that are neither expired nor revoked. */
export type LiveCertificateCounter = (caId: string, now: Date) => Promise<number>;

/** Retirement refused: certificates of the CA are still live. */
export class CaInUseError extends Error {
  override readonly name = 'CaInUseError';
}

/** What retire-ca did. */
export interface CaRetirement {
  caId: string;
  forced: boolean;
  /** Unexpired, unrevoked certificates of the CA at retirement (> 0 only when forced). */
  liveCertificates: number;
  keyDeletionDate: string | null;
  trustedCaIds: string[];
}

/** What the lifecycle reads of the configuration: the stage's prefix (named in key descriptions) and the CA subject. */
export type CaLifecycleSettings = () => Pick<Config, 'secretsPrefix' | 'csrSubject'>;

/** The CA operations of the bootstrap and the admin CLI over the stage's registry secret and KMS. */
export class CaLifecycle {
  constructor(
    private readonly secrets: Pick<SecretStore, 'read' | 'create' | 'put' | 'delete'>,
    private readonly registry: Pick<CaRegistryStore, 'read'>,
    /** Signs the CA certificates. */
    private readonly kms: Pick<KmsKeys, 'sign'>,
    private readonly keyAdmin: Pick<KmsKeyAdmin, 'publicKey' | 'createSigningKey' | 'keyPolicy' | 'putKeyPolicy' | 'scheduleDeletion'>,
    private readonly settings: CaLifecycleSettings,
  ) {}

  /**
   * A CA certificate for the KMS key `keyArn` (GetPublicKey, then the self-signature by kms:Sign), or for a new KMS key
   * (CreateKey RSA_2048 SIGN_VERIFY, with `policy` when given). `created` says whether the key is new (a lost race deletes it).
   */
  private async kmsCertificateAuthority(id: string, keyArn: string | undefined, policy?: string): Promise<{ keyArn: string; certificatePem: string; created: boolean }> {
    const settings = this.settings();
    const key = keyArn
      ? { keyArn, publicKey: await this.keyAdmin.publicKey(keyArn) }
      : await this.keyAdmin.createSigningKey({
          keySpec: CA_KEY_SPEC,
          description: `Pairing CA ${id} (${settings.secretsPrefix}): signs client certificates`,
          policy,
          tags: { service: SERVICE_NAME, purpose: 'pairing-ca', caId: id },
        });
    const certificatePem = await createCaCertificate(key.publicKey, kmsCaSigner(this.kms, key.keyArn), { commonName: caCommonName(id), subject: settings.csrSubject });
    return { keyArn: key.keyArn, certificatePem, created: keyArn === undefined };
  }

  /**
   * Makes sure the stage has a CA registry with a current KMS CA, and returns it. Safe to run concurrently: the registry
   * is created with CreateSecret, so when two processes race exactly one registry is stored, and the loser deletes the
   * key it created (if any) and keeps the winner's. Migration of a stage whose CA predates KMS: its certificate (from the
   * public `pairing-ca-certificate`) stays trusted as ca-1 (previous), ca-2 in KMS issues from now on, and once the
   * registry exists the `pairing-ca` secret with the private key is deleted (also on a later run, if a run stopped before).
   */
  async ensure(options: EnsureCertificateAuthorityOptions = {}): Promise<CaRegistry> {
    let stored = await this.registry.read(0);
    if (!stored) {
      const legacyPem = await this.secrets.read(LEGACY_CA_CERTIFICATE_SECRET, 0);
      const firstId = legacyPem === undefined ? 'ca-1' : 'ca-2';
      const fresh = await this.kmsCertificateAuthority(firstId, options.keyArn);
      const registry = initialRegistry(fresh, options.now ?? new Date(), legacyPem === undefined ? undefined : { certificatePem: legacyPem });
      try {
        await this.secrets.create(CA_REGISTRY_SECRET, serializeRegistry(registry), 'Pairing CA registry: CA certificates and KMS key ARNs (public, JSON)');
        stored = { json: serializeRegistry(registry), registry };
        if (legacyPem !== undefined) logger.info('pairing CA migrated to KMS', { previousCa: 'ca-1', currentCa: firstId });
      } catch (error) {
        if (!(error instanceof SecretExistsError)) throw error;
        if (fresh.created) await this.keyAdmin.scheduleDeletion(fresh.keyArn, 7);
        stored = await this.registry.read(0);
        if (!stored) throw error;
      }
    }
    // A migrated stage (a CA without a KMS key): the private key in Secrets Manager has no use any more. Deleted on
    // every run of such a stage, in case an earlier one stopped before (deleting a missing secret is no error); a stage
    // that never had it never asks.
    if (stored.registry.cas.some((ca) => ca.keyArn === null)) await this.secrets.delete(LEGACY_CA_SECRET);
    return stored.registry;
  }

  /**
   * Checks that the current CA's certificate belongs to its KMS key (GetPublicKey): the bootstrap runs it, so a registry
   * naming the wrong key fails the deployment instead of every issuance.
   */
  async checkCurrentKey(registry: CaRegistry): Promise<void> {
    const current = currentCa(registry);
    const kmsKey = await this.keyAdmin.publicKey(current.keyArn!);
    const certificateKey = new X509Certificate(current.certificatePem).publicKey;
    const der = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
    if (!der(kmsKey).equals(der(certificateKey))) throw new Error(`the certificate of CA ${current.id} does not belong to its KMS key`);
  }

  /**
   * rotate-ca: a new KMS key (with the current key's policy, so the same roles may sign and nobody else) and its
   * self-signed certificate become the current CA; the current one becomes previous and stays trusted.
   * An admin operation: the registry is read and written back (Secrets Manager has no compare-and-set), so two
   * rotations or retirements must not run at the same time.
   */
  async rotate(now: Date = new Date(), options: { pending?: boolean } = {}): Promise<CaRotation> {
    const stored = await this.registry.read(0);
    if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing): run the bootstrap (npm start, or deploy) first`);
    const waiting = pendingCa(stored.registry);
    // Refused before a key is created (withRotation says the same).
    if (waiting) throw new CaRegistryError(`CA ${waiting.id} is pending: activate it (activate-ca --id ${waiting.id}) before rotating again`);
    const previous = currentCa(stored.registry);
    const id = nextCaId(stored.registry);
    const policy = withExplicitKeyAdministration(await this.keyAdmin.keyPolicy(previous.keyArn!));
    // The copied policy lets only the signing roles sign: whoever rotates may sign the self-signature only while
    // the key has the temporary statement, which the copied policy then replaces.
    const next = await this.kmsCertificateAuthority(id, undefined, withRotationSigner(policy, previous.keyArn!));
    let registry: CaRegistry;
    try {
      await this.keyAdmin.putKeyPolicy(next.keyArn, policy);
      registry = withRotation(stored.registry, { id, keyArn: next.keyArn, certificatePem: next.certificatePem }, now, options);
      await this.secrets.put(CA_REGISTRY_SECRET, serializeRegistry(registry));
    } catch (error) {
      // Nothing refers to the new key: do not leave it behind.
      await this.keyAdmin.scheduleDeletion(next.keyArn, 7).catch(() => undefined);
      throw error;
    }
    const currentCaId = currentCa(registry).id;
    logger.info('pairing CA rotated', { action: 'CA_ROTATED', previousCaId: previous.id, currentCaId, pendingCaId: options.pending ? id : null });
    return {
      previousCaId: previous.id,
      currentCaId,
      pendingCaId: options.pending ? id : null,
      keyArn: next.keyArn,
      certificatePem: next.certificatePem,
      trustedCaIds: trustedCas(registry).map((ca) => ca.id),
    };
  }

  /**
   * activate-ca: the pending CA (rotate-ca --pending) becomes current, the current one previous. On AWS run it after the
   * deployment that published the truststore with the pending CA, so no certificate is issued that the domain distrusts.
   */
  async activate(id: string): Promise<CaActivation> {
    const stored = await this.registry.read(0);
    if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
    const previous = currentCa(stored.registry);
    const registry = withActivated(stored.registry, id);
    await this.secrets.put(CA_REGISTRY_SECRET, serializeRegistry(registry));
    logger.info('pairing CA activated', { action: 'CA_ACTIVATED', previousCaId: previous.id, currentCaId: id });
    return { previousCaId: previous.id, currentCaId: id, trustedCaIds: trustedCas(registry).map((ca) => ca.id) };
  }

  /**
   * retire-ca: takes CA `id` out of the truststore, only when `countLive` finds no unexpired, unrevoked certificate of
   * it, or when `force` says so (those certificates stop working at once). The current CA is never retired. The CA's
   * KMS key, which signs nothing since the rotation, is scheduled for deletion (30 days, KMS's longest window).
   */
  async retire(id: string, countLive: LiveCertificateCounter, options: { force?: boolean; now?: Date } = {}): Promise<CaRetirement> {
    const now = options.now ?? new Date();
    const stored = await this.registry.read(0);
    if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
    // Refusals about the id and the status come before the count: withRetired names them.
    let registry = withRetired(stored.registry, id, now);
    const liveCertificates = await countLive(id, now);
    const forced = options.force === true;
    if (liveCertificates > 0 && !forced) {
      throw new CaInUseError(`CA ${id} still has ${liveCertificates} unexpired, unrevoked certificate(s): revoke them or wait until they expire, or retire with --force`);
    }
    // Read again right before the write, to narrow the window for a concurrent rotation (admin operations: see rotate).
    const latest = await this.registry.read(0);
    registry = withRetired(latest!.registry, id, now);
    await this.secrets.put(CA_REGISTRY_SECRET, serializeRegistry(registry));
    const keyArn = stored.registry.cas.find((ca) => ca.id === id)!.keyArn;
    const deletion = keyArn ? (await this.keyAdmin.scheduleDeletion(keyArn, 30)).deletionDate : undefined;
    // A forced retirement cut live certificates off: a warning (stderr in the admin CLI), not just information. The
    // admin CLI records CA_RETIRED in the #platform partition of the audit trail with these details.
    const event = { action: 'CA_RETIRED', caId: id, forced, liveCertificates };
    if (forced) logger.warn('pairing CA retired by force', event);
    else logger.info('pairing CA retired', event);
    return { caId: id, forced, liveCertificates, keyDeletionDate: deletion?.toISOString() ?? null, trustedCaIds: trustedCas(registry).map((ca) => ca.id) };
  }
}
