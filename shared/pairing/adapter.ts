// The PairingAdapter interface: one way of pairing an application (OAuth client credentials, client certificates, ...),
// and everything about it that differs from one way to the next.
import type { AuditAction, AuditEventInput, CallerTrail } from '../audit/types';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { Validator } from '../json-schema';
import type { SystemAuth, SystemAuthType } from '../system-auths/types';

/** A JSON Schema (draft 2020-12 subset understood by Ajv) describing an adapter's inputParams. */
export type JsonSchema = Record<string, unknown>;

/**
 * The words a user interface shows for a pairing type, served by the Director (AuthType.presentation,
 * AppSystemAuth.presentation), so that Cockpit renders any type without knowing its name.
 */
export interface PairingPresentation {
  /** The type in words, e.g. "OAuth 2.0 client credentials". */
  label: string;
  /** One credential of the type, as a sentence names it: "OAuth client" ("OAuth client of invoices"). */
  credentialNoun: string;
  /** What stops working when a credential of the type is revoked, completing "The … of <id> stop working at once". */
  revocationEffect: string;
  /** Said beside a credential that waits for the application to finish pairing; null when the type never waits. */
  pendingHint: string | null;
  /** Said above the pairing data before it is handed over (e.g. that a secret is shown once); null for nothing. */
  handoverWarning: string | null;
  /** The params of generateAuthForApplication's answer in words, in the order to show them. */
  params: PairingParamLabel[];
  /** Its inputParams in words (a form's labels), in the order to ask for them; empty when it takes none worth a label. */
  inputParams: PairingParamLabel[];
}

export interface PairingParamLabel {
  name: string;
  label: string;
}

/** What getAuthTypesForApplication shows for one adapter. */
export interface AuthTypeDescription {
  type: string;
  description: string;
  inputParams: JsonSchema;
  presentation: PairingPresentation;
}

/** The application being paired, as much of it as an adapter may rely on. */
export interface PairingApplication {
  tenant: string;
  id: string;
  name: string;
}

/** Request-scoped facts an adapter needs to build absolute URLs. */
export interface PairingContext {
  /** Base URL of the HTTPS API as the caller reached it (no trailing slash). */
  publicBaseUrl: string;
}

/** What generateAuthForApplication returns; `params` has the per-type shape fixed in API.md section 4. */
export interface PairingResult {
  type: string;
  systemAuthID: string;
  params: Record<string, unknown>;
  /** RFC 3339; set when the pairing data itself expires (one-time tokens). */
  expiresAt?: string;
}

/** The fields of the Director's AppSystemAuth that belong to one type; the fields of other types answer null. */
export interface AppSystemAuthFields {
  clientId?: string;
  clientSecret?: string;
  tokenUrl?: string;
  secrets?: { id: string; createdAt: string; lastUsedAt: string | null }[];
  publicKeys?: { kid: string; createdAt: string; lastUsedAt: string | null }[];
  /** Credentials of an outside pairing adapter: its configured name, the auth type and the reference it returned. */
  pairingAdapter?: string;
  authType?: string;
  adapterReference?: string;
}

/** An audit event a pairing of the type records beside PAIRING_DATA_GENERATED (the Director adds who, when and on what). */
export interface PairingAuditEvent {
  action: AuditAction;
  details?: AuditEventInput['details'];
}

/** The answer of a secret rotation: the new secret, its value shown once. */
export interface RotatedSecret {
  id: string;
  clientSecret: string;
  createdAt: string;
}

/** Optional capability: a type whose credentials hold secrets that rotate one by one. */
export interface SecretRotation {
  /** A further live secret for the credential, its value shown once. */
  rotateSecret(auth: SystemAuth): Promise<RotatedSecret>;
  /** Ends one live secret of the credential, never its last; returns the SystemAuth with the secrets left. */
  revokeSecret(auth: SystemAuth, secretId: string): Promise<SystemAuth>;
}

/** Optional capability: a type whose credentials hold certificates that can be revoked one by one (with their renewals). */
export interface CertificateRevocation {
  /** Revokes one certificate of the SystemAuth (named by exactly one of serial or fingerprint) and every one renewed from it. */
  revokeIssuedCertificate(auth: SystemAuth, named: { serialNumber?: string | null; sha256Fingerprint?: string | null }): Promise<CertificateRecord[]>;
}

/** Optional capability: a type whose credentials hold public keys (the application keeps the private ones) that rotate one by one. */
export interface PublicKeyRotation {
  /** A further live key for the credential (`publicKey` as the administrator pasted it); the credential after and the key's id. */
  addPublicKey(auth: SystemAuth, publicKey: unknown): Promise<{ systemAuth: SystemAuth; kid: string }>;
  /** Ends one live key of the credential, never its last; returns the SystemAuth with the keys left. */
  removePublicKey(auth: SystemAuth, kid: string): Promise<SystemAuth>;
}

export interface PairingAdapter {
  /** The auth type this adapter implements, with the JSON Schema of its inputParams and its words. */
  readonly authType: AuthTypeDescription;
  /** The SystemAuth type this adapter creates; everything about such SystemAuths is routed back to it. */
  readonly systemAuthType: SystemAuthType;
  /** The audit action of revoking one of its credentials (deleteSystemAuthForApplication). */
  readonly revokedAction: AuditAction;
  /**
   * Creates the credential. `inputParams` has already been validated against `authType.inputParams`.
   * Must leave nothing behind when it fails (no SystemAuth, secret or token).
   */
  generate(application: PairingApplication, inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult>;
  /** The audit events of a pairing it made, besides PAIRING_DATA_GENERATED: never a secret or token. */
  pairedEvents(result: Pick<PairingResult, 'expiresAt'>): PairingAuditEvent[];
  /**
   * The type's own public fields of the AppSystemAuth. `clientSecret` is only passed by the mutation that created
   * the credential: every other path omits it, so a secret cannot leak through a later response.
   */
  publicFields(auth: SystemAuth, context: PairingContext, clientSecret?: string): AppSystemAuthFields;
  /**
   * Revokes everything the SystemAuth grants (secret, pending tokens, certificates) and deletes it.
   * Safe to call again after a partial failure. `trail` records, on behalf of whoever asked, what follows from it
   * outside the revocation itself (an outside adapter that could not be told).
   */
  revoke(systemAuth: SystemAuth, trail: CallerTrail): Promise<void>;
  /**
   * True when several adapters create SystemAuths of this one type (the outside adapters): each must then handle
   * every such SystemAuth, routing by what the SystemAuth records (revoke, publicFields).
   */
  readonly sharesSystemAuthType?: boolean;
  /** The inputParams check of a schema known only at run time (configuration); the build-time validator otherwise. */
  readonly validateInput?: Validator<Record<string, unknown>>;
  /** Present when the type's credentials hold rotating secrets (rotateClientSecret, revokeClientSecret). */
  readonly secrets?: SecretRotation;
  /** Present when the type's credentials hold certificates (AppSystemAuth.certificates, revokeIssuedCertificate). */
  readonly certificates?: CertificateRevocation;
  /** Present when the type's credentials hold public keys (AppSystemAuth.publicKeys, addPublicKey, removePublicKey). */
  readonly publicKeys?: PublicKeyRotation;
}
