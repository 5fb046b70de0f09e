// The pairing Certificate Authority: its key is an AWS KMS key (SIGN_VERIFY) that never leaves KMS; its certificates
// and the registry of CAs (ca-registry.ts) are public material in Secrets Manager, loaded with a bounded cache.
import { createHash, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { config, SERVICE_NAME } from '../config';
import { InternalError } from '../errors';
import { createKmsSigningKey, kmsKeyPolicy, kmsPublicKey, putKmsKeyPolicy, scheduleKmsKeyDeletion, signWithKms } from '../aws/kms';
import { createSecret, deleteSecret, putSecret, readSecret, secretName, SecretExistsError } from '../aws/secrets';
import { logger } from '../logger';
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
  type CaEntry,
  type CaRegistry,
} from './ca-registry';
import { DAY_MS } from '../time';
import { children, decodeDer, encodeDer, isContext, isUniversal, oidOf, primitiveBytes, sequence, set, oid, printableString, utf8String, toPem, timeToDate, Type, type Asn1 } from './der';
import { formatSubject } from './subject';
import type { CsrKey, ValidatedCsr } from './csr';
import { CA_REGISTRY_SECRET, loadCaRegistry, readRegistry } from './ca-registry-secret';
import {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  keyIdentifier,
  KeyUsage,
  keyUsage,
  OID,
  sha256WithRsa,
  signCertificate,
  subjectKeyIdentifier,
  type Extension,
  type Signer,
} from './x509';

export interface IssuedCertificate {
  certificatePem: string;
  /** Lowercase hex of the serial number's bytes. */
  serialNumber: string;
  /** Lowercase hex SHA-256 over the certificate DER. */
  sha256Fingerprint: string;
  /** The subject as announced, e.g. "O=...,OU=...,L=...,ST=...,C=...,CN=<systemAuthId>". */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** The registry id of the CA that signed it. */
  caId: string;
}

export interface IssueOptions {
  /** Days from now until NotAfter; default config().certificateValidityDays. Never beyond the CA's own NotAfter. */
  validityDays?: number;
  now?: Date;
}

/** Before KMS: the CA's certificate and private key (JSON). The bootstrap deletes it once the registry exists. */
export const LEGACY_CA_SECRET = 'pairing-ca';
/** Before KMS: the legacy CA's certificate alone (PEM). The migration trusts it as CA ca-1 (previous); never deleted (public). */
export const LEGACY_CA_CERTIFICATE_SECRET = 'pairing-ca-certificate';

/**
 * The CA keys' KMS key spec and signing algorithm. RSA-2048 with PKCS#1 v1.5 / SHA-256 keeps the chain clients know
 * (sha256WithRSAEncryption, as the CA before KMS, so a migrated stage trusts one algorithm), see docs/design.md "Certificates".
 */
export const CA_KEY_SPEC = 'RSA_2048';
export const CA_SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';
const MINUTE_MS = 60_000;

/** 16 random bytes, the first in 01..7f: positive, fixed length and 120+ random bits (forge/Node reject a leading 00 byte). */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}

// keyUsage by the subject key's type. An EC key only signs (ECDSA in the TLS handshake), and RFC 5480 section 3
// forbids keyEncipherment for it; RSA keeps the pair API.md section 5 names, which RFC 3279 section 2.3.1 allows.
const KEY_USAGE: Readonly<Record<CsrKey['type'], Extension>> = {
  RSA: keyUsage([KeyUsage.digitalSignature, KeyUsage.keyEncipherment]),
  EC: keyUsage([KeyUsage.digitalSignature]),
};

/** Whole seconds, because X.509 times carry no fractions: the returned dates equal what the certificate says. */
const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

interface CaCertificateFields {
  subjectDer: Buffer;
  notAfter: Date;
  keyIdentifier: Buffer;
}

// The issuer Name and key identifier are copied from the CA certificate itself, so that chain building
// (issuer = CA subject byte for byte, AKI = CA's SKI) holds even for a CA made by another tool.
function caCertificateFields(certificate: X509Certificate): CaCertificateFields {
  const tbs = children(children(decodeDer(certificate.raw))[0]!);
  const offset = isContext(tbs[0], 0) ? 1 : 0;
  const validity = children(tbs[offset + 3]!);
  const subject = tbs[offset + 4]!;
  const spki = tbs[offset + 5]!;
  const extensionsField = tbs.find((field) => isContext(field, 3));
  let skid: Buffer | undefined;
  for (const extension of extensionsField ? children(children(extensionsField)[0]!) : []) {
    const fields = children(extension);
    if (oidOf(fields[0]!) !== OID.subjectKeyIdentifier) continue;
    const value = decodeDer(primitiveBytes(fields[fields.length - 1]!));
    if (isUniversal(value, Type.OCTETSTRING)) skid = primitiveBytes(value);
  }
  return { subjectDer: encodeDer(subject), notAfter: timeToDate(validity[1]!), keyIdentifier: skid ?? keyIdentifier(encodeDer(spki)) };
}

/** The CA's signer: every signature is one KMS Sign call with the key; nothing but its ARN is held here. */
export function kmsCaSigner(keyArn: string): Signer {
  return { algorithmIdentifier: sha256WithRsa(), sign: (tbsDer) => signWithKms(keyArn, tbsDer, CA_SIGNING_ALGORITHM) };
}

export class CertificateAuthority {
  /** The registry id (ca-<n>). */
  readonly id: string;
  readonly certificatePem: string;
  /** The CA certificate's NotAfter: no issued certificate outlives it. */
  readonly notAfter: Date;
  readonly #signer: Signer;
  readonly #issuerDer: Buffer;
  /** The extensions every client certificate for a key of this type carries (all but its subject key identifier). */
  readonly #commonExtensions: Readonly<Record<CsrKey['type'], Extension[]>>;

  private constructor(id: string, certificatePem: string, signer: Signer, fields: CaCertificateFields) {
    this.id = id;
    this.certificatePem = certificatePem;
    this.notAfter = fields.notAfter;
    this.#signer = signer;
    this.#issuerDer = fields.subjectDer;
    const extensionsWith = (usage: Extension) => [basicConstraints(false), usage, extendedKeyUsage([OID.clientAuth]), authorityKeyIdentifier(fields.keyIdentifier)];
    this.#commonExtensions = { RSA: extensionsWith(KEY_USAGE.RSA), EC: extensionsWith(KEY_USAGE.EC) };
  }

  /** The CA of this certificate, signing with `signer` (the CA's KMS key: kmsCaSigner). */
  static withSigner(id: string, certificatePem: string, signer: Signer): CertificateAuthority {
    const certificate = new X509Certificate(certificatePem);
    if (!certificate.ca) throw new Error('the pairing CA certificate is not a CA certificate');
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new Error('the pairing CA key must be an RSA key (certificates are signed sha256WithRSAEncryption)');
    return new CertificateAuthority(id, certificate.toString(), signer, caCertificateFields(certificate));
  }

  /** Issues a client certificate (API.md section 5; keyUsage by key type, see KEY_USAGE) for a CSR that validateCsr accepted. */
  async issue(csr: ValidatedCsr, options: IssueOptions = {}): Promise<IssuedCertificate> {
    const validityDays = options.validityDays ?? config().certificateValidityDays;
    if (!Number.isFinite(validityDays) || validityDays <= 0) throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
    const now = (options.now ?? new Date()).getTime();
    const notBefore = wholeSeconds(now - MINUTE_MS);
    const notAfter = wholeSeconds(Math.min(now + validityDays * DAY_MS, this.notAfter.getTime()));
    const serial = randomSerial();
    const der = await signCertificate(
      {
        serial,
        issuerDer: this.#issuerDer,
        subjectDer: csr.subjectDer,
        subjectPublicKeyInfoDer: csr.subjectPublicKeyInfoDer,
        notBefore,
        notAfter,
        extensions: [...this.#commonExtensions[csr.key.type], subjectKeyIdentifier(keyIdentifier(csr.subjectPublicKeyInfoDer))],
      },
      this.#signer,
    );
    return {
      certificatePem: toPem(der, 'CERTIFICATE'),
      serialNumber: serial.toString('hex'),
      sha256Fingerprint: createHash('sha256').update(der).digest('hex'),
      subject: formatSubject(csr.subject),
      notBefore,
      notAfter,
      caId: this.id,
    };
  }
}

export interface CertificateAuthorityOptions {
  commonName?: string;
  validityYears?: number;
  now?: Date;
}

/**
 * A self-signed CA certificate for `publicKey`, signed by `signer` (the same key's private half: kmsCaSigner for the
 * service, so the bootstrap and rotate-ca make it through KMS). 10 years by default.
 */
export async function createCaCertificate(publicKey: KeyObject, signer: Signer, options: CertificateAuthorityOptions = {}): Promise<string> {
  const { commonName = 'Pairing Service CA', validityYears = 10 } = options;
  if (!Number.isInteger(validityYears) || validityYears <= 0) throw new RangeError(`validityYears must be a positive integer, got ${validityYears}`);
  const now = (options.now ?? new Date()).getTime();
  const notAfter = wholeSeconds(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validityYears);
  const attribute = (type: string, value: Asn1) => set(sequence(oid(type), value));
  const subjectDer = encodeDer(
    sequence(
      attribute('2.5.4.6', printableString(config().csrSubject.country)),
      attribute('2.5.4.10', utf8String(config().csrSubject.organization)),
      attribute('2.5.4.3', utf8String(commonName)),
    ),
  );
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  const skid = keyIdentifier(spkiDer);
  const der = await signCertificate(
    {
      serial: randomSerial(),
      issuerDer: subjectDer,
      subjectDer,
      subjectPublicKeyInfoDer: spkiDer,
      notBefore: wholeSeconds(now - MINUTE_MS),
      notAfter,
      // pathLen 0: the pairing CA signs client certificates only, never another CA.
      extensions: [basicConstraints(true, 0), keyUsage([KeyUsage.keyCertSign, KeyUsage.cRLSign]), subjectKeyIdentifier(skid), authorityKeyIdentifier(skid)],
    },
    signer,
  );
  const pem = toPem(der, 'CERTIFICATE');
  // A signer that is not the key's private half would publish a CA nothing chains to: refuse it here.
  if (!new X509Certificate(pem).verify(publicKey)) throw new Error('the CA certificate does not verify with its own public key');
  return pem;
}

/** The CA's common name: generation 1 keeps the name CAs had before rotation; later ones say which generation they are. */
const caCommonName = (id: string): string => (id === 'ca-1' ? 'Pairing Service CA' : `Pairing Service CA ${id}`);

/**
 * A CA certificate for the KMS key `keyArn` (GetPublicKey, then the self-signature by kms:Sign), or for a new KMS key
 * (CreateKey RSA_2048 SIGN_VERIFY, with `policy` when given). `created` says whether the key is new (a lost race deletes it).
 */
async function kmsCertificateAuthority(id: string, keyArn: string | undefined, policy?: string): Promise<{ keyArn: string; certificatePem: string; created: boolean }> {
  const key = keyArn
    ? { keyArn, publicKey: await kmsPublicKey(keyArn) }
    : await createKmsSigningKey({
        keySpec: CA_KEY_SPEC,
        description: `Pairing CA ${id} (${config().secretsPrefix}): signs client certificates`,
        policy,
        tags: { service: SERVICE_NAME, purpose: 'pairing-ca', caId: id },
      });
  const certificatePem = await createCaCertificate(key.publicKey, kmsCaSigner(key.keyArn), { commonName: caCommonName(id) });
  return { keyArn: key.keyArn, certificatePem, created: keyArn === undefined };
}

export interface EnsureCertificateAuthorityOptions {
  /** The KMS key of the first CA when the deployment declares it (serverless.yml PairingCaKey); else a key is created. */
  keyArn?: string;
  now?: Date;
}

/**
 * Makes sure the stage has a CA registry with a current KMS CA, and returns it. Safe to run concurrently: the registry
 * is created with CreateSecret, so when two processes race exactly one registry is stored, and the loser deletes the
 * key it created (if any) and keeps the winner's. Migration of a stage whose CA predates KMS: its certificate (from the
 * public `pairing-ca-certificate`) stays trusted as ca-1 (previous), ca-2 in KMS issues from now on, and once the
 * registry exists the `pairing-ca` secret with the private key is deleted (also on a later run, if a run stopped before).
 */
export async function ensureCertificateAuthority(options: EnsureCertificateAuthorityOptions = {}): Promise<CaRegistry> {
  let stored = await readRegistry(0);
  if (!stored) {
    const legacyPem = await readSecret(secretName(LEGACY_CA_CERTIFICATE_SECRET), 0);
    const firstId = legacyPem === undefined ? 'ca-1' : 'ca-2';
    const fresh = await kmsCertificateAuthority(firstId, options.keyArn);
    const registry = initialRegistry(fresh, options.now ?? new Date(), legacyPem === undefined ? undefined : { certificatePem: legacyPem });
    try {
      await createSecret(secretName(CA_REGISTRY_SECRET), serializeRegistry(registry), 'Pairing CA registry: CA certificates and KMS key ARNs (public, JSON)');
      stored = { json: serializeRegistry(registry), registry };
      if (legacyPem !== undefined) logger.info('pairing CA migrated to KMS', { previousCa: 'ca-1', currentCa: firstId });
    } catch (error) {
      if (!(error instanceof SecretExistsError)) throw error;
      if (fresh.created) await scheduleKmsKeyDeletion(fresh.keyArn, 7);
      stored = await readRegistry(0);
      if (!stored) throw error;
    }
  }
  // A migrated stage (a CA without a KMS key): the private key in Secrets Manager has no use any more. Deleted on
  // every run of such a stage, in case an earlier one stopped before (deleting a missing secret is no error); a stage
  // that never had it never asks.
  if (stored.registry.cas.some((ca) => ca.keyArn === null)) await deleteSecret(secretName(LEGACY_CA_SECRET));
  return stored.registry;
}

/**
 * Checks that the current CA's certificate belongs to its KMS key (GetPublicKey): the bootstrap runs it, so a registry
 * naming the wrong key fails the deployment instead of every issuance.
 */
export async function checkCurrentCaKey(registry: CaRegistry): Promise<void> {
  const current = currentCa(registry);
  const kmsKey = await kmsPublicKey(current.keyArn!);
  const certificateKey = new X509Certificate(current.certificatePem).publicKey;
  const der = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
  if (!der(kmsKey).equals(der(certificateKey))) throw new Error(`the certificate of CA ${current.id} does not belong to its KMS key`);
}

/** The truststore: the PEM certificates of every CA not retired, current first (S3 object, local mTLS endpoint). */
export const truststorePem = (registry: CaRegistry): string =>
  trustedCas(registry)
    .map((ca) => (ca.certificatePem.endsWith('\n') ? ca.certificatePem : `${ca.certificatePem}\n`))
    .join('');

let loaded: { registry: CaRegistry; authority: CertificateAuthority } | undefined;

/**
 * The current pairing CA, signing through KMS. What is cached (per registry value, re-read at most every
 * caRegistryMaxAgeSeconds()) is public: the certificate and the key ARN. Every signature is a kms:Sign call.
 */
export async function loadCertificateAuthority(): Promise<CertificateAuthority> {
  const registry = await loadCaRegistry();
  if (loaded?.registry !== registry) {
    const current = currentCa(registry);
    try {
      loaded = { registry, authority: CertificateAuthority.withSigner(current.id, current.certificatePem, kmsCaSigner(current.keyArn!)) };
    } catch (cause) {
      throw new InternalError('The pairing certificate authority is unusable', { cause });
    }
  }
  return loaded.authority;
}

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

/**
 * rotate-ca: a new KMS key (with the current key's policy, so the same roles may sign and nobody else) and its
 * self-signed certificate become the current CA; the current one becomes previous and stays trusted.
 * An admin operation: the registry is read and written back (Secrets Manager has no compare-and-set), so two
 * rotations or retirements must not run at the same time.
 */
export async function rotateCertificateAuthority(now: Date = new Date(), options: { pending?: boolean } = {}): Promise<CaRotation> {
  const stored = await readRegistry(0);
  if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing): run the bootstrap (npm start, or deploy) first`);
  const waiting = pendingCa(stored.registry);
  // Refused before a key is created (withRotation says the same).
  if (waiting) throw new CaRegistryError(`CA ${waiting.id} is pending: activate it (activate-ca --id ${waiting.id}) before rotating again`);
  const previous = currentCa(stored.registry);
  const id = nextCaId(stored.registry);
  const policy = withExplicitKeyAdministration(await kmsKeyPolicy(previous.keyArn!));
  // The copied policy lets only the signing roles sign: whoever rotates may sign the self-signature only while
  // the key has the temporary statement, which the copied policy then replaces.
  const next = await kmsCertificateAuthority(id, undefined, withRotationSigner(policy, previous.keyArn!));
  let registry: CaRegistry;
  try {
    await putKmsKeyPolicy(next.keyArn, policy);
    registry = withRotation(stored.registry, { id, keyArn: next.keyArn, certificatePem: next.certificatePem }, now, options);
    await putSecret(secretName(CA_REGISTRY_SECRET), serializeRegistry(registry));
  } catch (error) {
    // Nothing refers to the new key: do not leave it behind.
    await scheduleKmsKeyDeletion(next.keyArn, 7).catch(() => undefined);
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

/** What activate-ca did. */
export interface CaActivation {
  previousCaId: string;
  currentCaId: string;
  trustedCaIds: string[];
}

/**
 * activate-ca: the pending CA (rotate-ca --pending) becomes current, the current one previous. On AWS run it after the
 * deployment that published the truststore with the pending CA, so no certificate is issued that the domain distrusts.
 */
export async function activateCertificateAuthority(id: string): Promise<CaActivation> {
  const stored = await readRegistry(0);
  if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
  const previous = currentCa(stored.registry);
  const registry = withActivated(stored.registry, id);
  await putSecret(secretName(CA_REGISTRY_SECRET), serializeRegistry(registry));
  logger.info('pairing CA activated', { action: 'CA_ACTIVATED', previousCaId: previous.id, currentCaId: id });
  return { previousCaId: previous.id, currentCaId: id, trustedCaIds: trustedCas(registry).map((ca) => ca.id) };
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

/**
 * retire-ca: takes CA `id` out of the truststore, only when `countLive` finds no unexpired, unrevoked certificate of
 * it, or when `force` says so (those certificates stop working at once). The current CA is never retired. The CA's
 * KMS key, which signs nothing since the rotation, is scheduled for deletion (30 days, KMS's longest window).
 */
export async function retireCertificateAuthority(id: string, countLive: LiveCertificateCounter, options: { force?: boolean; now?: Date } = {}): Promise<CaRetirement> {
  const now = options.now ?? new Date();
  const stored = await readRegistry(0);
  if (!stored) throw new Error(`the pairing CA is not set up (secret ${CA_REGISTRY_SECRET} is missing)`);
  // Refusals about the id and the status come before the count: withRetired names them.
  let registry = withRetired(stored.registry, id, now);
  const liveCertificates = await countLive(id, now);
  const forced = options.force === true;
  if (liveCertificates > 0 && !forced) {
    throw new CaInUseError(`CA ${id} still has ${liveCertificates} unexpired, unrevoked certificate(s): revoke them or wait until they expire, or retire with --force`);
  }
  // Read again right before the write, to narrow the window for a concurrent rotation (admin operations: see rotate).
  const latest = await readRegistry(0);
  registry = withRetired(latest!.registry, id, now);
  await putSecret(secretName(CA_REGISTRY_SECRET), serializeRegistry(registry));
  const keyArn = stored.registry.cas.find((ca) => ca.id === id)!.keyArn;
  const deletion = keyArn ? (await scheduleKmsKeyDeletion(keyArn, 30)).deletionDate : undefined;
  // A forced retirement cut live certificates off: a warning (stderr in the admin CLI), not just information. The
  // admin CLI records CA_RETIRED in the #platform partition of the audit trail with these details.
  const event = { action: 'CA_RETIRED', caId: id, forced, liveCertificates };
  if (forced) logger.warn('pairing CA retired by force', event);
  else logger.info('pairing CA retired', event);
  return { caId: id, forced, liveCertificates, keyDeletionDate: deletion?.toISOString() ?? null, trustedCaIds: trustedCas(registry).map((ca) => ca.id) };
}

export type { CaEntry, CaRegistry };
// The registry's reading side lives in ca-registry-secret.ts (no ASN.1 there); its importers may keep importing it from here.
export { CA_REGISTRY_SECRET, caRegistryMaxAgeSeconds, loadCaRegistry, loadCaRegistryFresh, loadTrustedCas, type TrustedCa } from './ca-registry-secret';
