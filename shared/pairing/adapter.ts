// The PairingAdapter interface: one way of pairing an application (OAuth client credentials, client certificates, ...).
import type { SystemAuth } from '../system-auths/types';

/** A JSON Schema (draft 2020-12 subset understood by Ajv) describing an adapter's inputParams. */
export type JsonSchema = Record<string, unknown>;

/** What getAuthTypesForApplication shows for one adapter. */
export interface AuthTypeDescription {
  type: string;
  description: string;
  inputParams: JsonSchema;
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

export interface PairingAdapter {
  /** The auth type this adapter implements, with the JSON Schema of its inputParams. */
  readonly authType: AuthTypeDescription;
  /** The SystemAuth type this adapter creates; revocation of such SystemAuths is routed back to it. */
  readonly systemAuthType: SystemAuth['type'];
  /**
   * Creates the credential. `inputParams` has already been validated against `authType.inputParams`.
   * Must leave nothing behind when it fails (no SystemAuth, secret or token).
   */
  generate(application: PairingApplication, inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult>;
  /**
   * Revokes everything the SystemAuth grants (secret, pending tokens, certificates) and deletes it.
   * Safe to call again after a partial failure.
   */
  revoke(systemAuth: SystemAuth): Promise<void>;
}
