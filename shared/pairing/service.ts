// Pairing and revocation of an application's credentials: what the Director's pairing resolvers and unregister call.
import type { CallerTrail } from '../audit/types';
import { BadUserInputError, InternalError, NotFoundError } from '../errors';
import { isServiceId, quotedId } from '../ids';
import { logger } from '../logger';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type { AuthTypeDescription, PairingAdapter, PairingApplication, PairingAuditEvent, PairingContext, PairingResult, RotatedSecret } from './adapter';
import { toAppSystemAuth, type AppSystemAuth } from './app-system-auth';
import type { PairingAdapterRegistry } from './registry';

/** Raised when one or more credentials of an application could not be revoked; the rest were. A retry finishes the job. */
export class RevocationIncompleteError extends InternalError {
  override readonly name: string = 'RevocationIncompleteError';

  constructor(
    readonly failedSystemAuthIds: string[],
    causes: unknown[],
  ) {
    super(
      `Could not revoke ${failedSystemAuthIds.length} credential(s) of the application (${failedSystemAuthIds.join(', ')}); retry to finish`,
      { cause: causes },
    );
  }
}

/** What a capability's credentials hold, in the words of a refusal. */
const CAPABILITY_WORDS = { secrets: 'secrets', publicKeys: 'public keys' } as const;

export class PairingService {
  constructor(
    private readonly registry: PairingAdapterRegistry,
    private readonly systemAuths: SystemAuthRepository,
  ) {}

  /** The pairing types the application can use (the caller has checked the application exists). */
  authTypes(): AuthTypeDescription[] {
    return this.registry.authTypes();
  }

  /** Validates inputParams and creates the credential of that type. */
  async generate(application: PairingApplication, type: string, inputParams: unknown, context: PairingContext): Promise<PairingResult> {
    const result = await this.registry.generate(application, type, inputParams, context);
    logger.info('application paired', { tenant: application.tenant, appId: application.id, type, systemAuthId: result.systemAuthID });
    return result;
  }

  /** The audit events of a pairing of this type besides PAIRING_DATA_GENERATED (the type's adapter says which). */
  pairedEvents(result: Pick<PairingResult, 'type' | 'expiresAt'>): PairingAuditEvent[] {
    return this.registry.adapterOf(result.type).pairedEvents(result);
  }

  /** The Director's AppSystemAuth of a SystemAuth: its type's adapter adds its own fields and words. */
  toAppSystemAuth(auth: SystemAuth, context: PairingContext, clientSecret?: string): AppSystemAuth {
    return toAppSystemAuth(auth, this.registry.adapterOf(auth.type), context, clientSecret);
  }

  /** The audit action of revoking a credential of this type. */
  revokedActionOf(auth: Pick<SystemAuth, 'type'>): PairingAdapter['revokedAction'] {
    return this.registry.adapterOf(auth.type).revokedAction;
  }

  /**
   * Revokes one credential of an application of the tenant and returns it as it was, with status
   * REVOKED. An unknown or malformed id, another tenant's, or an administrator's SystemAuth is NOT_FOUND. `trail`: the
   * audit trail of whoever asked, for what follows from it (PairingAdapter.revoke).
   */
  async revokeSystemAuth(tenant: string, id: string, trail: CallerTrail): Promise<SystemAuth> {
    // SystemAuth ids are UUIDs: an empty or malformed one names nothing (DynamoDB would refuse an empty key outright).
    const auth = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    if (!auth || auth.kind !== 'APPLICATION') throw new NotFoundError(`No SystemAuth with id ${quotedId(id)}`);
    await this.registry.revoke(auth, trail);
    logger.info('SystemAuth revoked', { tenant, appId: auth.appId, type: auth.type, systemAuthId: auth.id });
    return { ...auth, status: 'REVOKED' };
  }

  /**
   * A further live secret for a credential of an application of the tenant, its value to be shown once. NOT_FOUND as
   * revokeSystemAuth; BAD_USER_INPUT for a type without secrets; CONFLICT when the adapter refuses (e.g. two live).
   */
  async rotateClientSecret(tenant: string, id: string): Promise<RotatedSecret> {
    const { auth, adapter } = await this.applicationAuthOf(tenant, id);
    return this.capability(auth, adapter, 'secrets').rotateSecret(auth);
  }

  /** Ends one live secret of a credential of the tenant, never its last; returns the SystemAuth with the secrets left. */
  async revokeClientSecret(tenant: string, id: string, secretId: string): Promise<SystemAuth> {
    const { auth, adapter } = await this.applicationAuthOf(tenant, id);
    return this.capability(auth, adapter, 'secrets').revokeSecret(auth, secretId);
  }

  /** A further live public key for a credential of the tenant (rotation); returns the credential after and the key's id. */
  async addPublicKey(tenant: string, id: string, publicKey: unknown): Promise<{ systemAuth: SystemAuth; kid: string }> {
    const { auth, adapter } = await this.applicationAuthOf(tenant, id);
    return this.capability(auth, adapter, 'publicKeys').addPublicKey(auth, publicKey);
  }

  /** Ends one live public key of a credential of the tenant, never its last; returns the credential after. */
  async removePublicKey(tenant: string, id: string, keyId: string): Promise<SystemAuth> {
    const { auth, adapter } = await this.applicationAuthOf(tenant, id);
    return this.capability(auth, adapter, 'publicKeys').removePublicKey(auth, keyId);
  }

  /**
   * Revokes one certificate of a credential of the tenant and every certificate renewed from it; returns them, revoked.
   * NOT_FOUND for an unknown id, another tenant's, or a credential whose type holds no certificates.
   */
  async revokeIssuedCertificate(
    tenant: string,
    id: string,
    named: { serialNumber?: string | null; sha256Fingerprint?: string | null },
  ): Promise<CertificateRecord[]> {
    const found = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    const certificates = found?.kind === 'APPLICATION' ? this.registry.adapterOf(found.type).certificates : undefined;
    if (!found || !certificates) {
      throw new NotFoundError(`No SystemAuth holding certificates (${this.registry.typesWith('certificates').join(', ')}) with id ${quotedId(id)}`);
    }
    return certificates.revokeIssuedCertificate(found, named);
  }

  /** Whether credentials of this type hold certificates (AppSystemAuth.certificates). */
  holdsCertificates(auth: Pick<SystemAuth, 'type'>): boolean {
    return this.registry.adapterOf(auth.type).certificates !== undefined;
  }

  /** The tenant's SystemAuth of an application with this id, and its type's adapter; NOT_FOUND otherwise. */
  private async applicationAuthOf(tenant: string, id: string): Promise<{ auth: SystemAuth; adapter: PairingAdapter }> {
    const auth = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    if (!auth || auth.kind !== 'APPLICATION') throw new NotFoundError(`No SystemAuth with id ${quotedId(id)}`);
    return { auth, adapter: this.registry.adapterOf(auth.type) };
  }

  /** The adapter's capability, or BAD_USER_INPUT naming the types that have it. */
  private capability<Name extends 'secrets' | 'publicKeys'>(auth: SystemAuth, adapter: PairingAdapter, name: Name): NonNullable<PairingAdapter[Name]> {
    const capability = adapter[name];
    if (capability) return capability as NonNullable<PairingAdapter[Name]>;
    const held = CAPABILITY_WORDS[name];
    const types = this.registry.typesWith(name);
    const which = types.length > 0 ? `only ${types.join(', ')} credentials have ${held}` : `no pairing type has ${held}`;
    throw new BadUserInputError(`SystemAuth ${auth.id} is a ${auth.type} credential: ${which}`, {
      violations: [{ field: 'authID', message: `has no ${held}` }],
    });
  }

  /** The Director's CredentialRevoker: what unpairing and unregistering an application run first. */
  async revokeApplicationCredentials(tenant: string, appId: string, trail: CallerTrail): Promise<void> {
    await this.revokeEveryCredentialOf(tenant, appId, trail);
  }

  /**
   * Revokes every credential of the application. Each is attempted even when another fails; a
   * failure leaves that credential REVOKED-but-listed (adapters revoke in that order), so calling
   * this again finishes it. Returns what was revoked.
   */
  async revokeEveryCredentialOf(tenant: string, appId: string, trail: CallerTrail): Promise<SystemAuth[]> {
    const auths = await this.systemAuths.listOfApplication(tenant, appId);
    const outcomes = await Promise.allSettled(auths.map((auth) => this.registry.revoke(auth, trail)));
    const failed = auths.filter((_, i) => outcomes[i].status === 'rejected');
    if (failed.length > 0) {
      const causes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      logger.error('revoking the credentials of an application failed part-way', {
        tenant, appId, failedSystemAuthIds: failed.map((auth) => auth.id),
        errors: causes.map((cause) => (cause as { name?: string } | undefined)?.name ?? 'unknown error'),
      });
      throw new RevocationIncompleteError(failed.map((auth) => auth.id), causes);
    }
    if (auths.length > 0) logger.info('application credentials revoked', { tenant, appId, systemAuthIds: auths.map((auth) => auth.id) });
    return auths.map((auth) => ({ ...auth, status: 'REVOKED' }));
  }
}
