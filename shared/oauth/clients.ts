// OAuth 2.0 clients: a SystemAuth in DynamoDB plus its secret, kept in Secrets Manager or as a KMS-keyed verifier in the SystemAuth.
import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, InternalError, NotFoundError, QuotaExceededError } from '../errors';
import { quotedId } from '../ids';
import { logger } from '../logger';
import { ADMIN_SCOPES } from '../scopes';
import { OAUTH_CLIENT_TYPE, type OAuthClientRecords } from '../system-auths/oauth-client-records';
import type { ClientSecretUse, SystemAuthRepository } from '../system-auths/repository';
import {
  INITIAL_CLIENT_SECRET_ID,
  liveClientSecretsOf,
  MAX_LIVE_CLIENT_SECRETS,
  type SystemAuth,
} from '../system-auths/types';
import { ClientAuthenticationRefusedError, type RefusedClient } from './errors';
import { validateNewClient, type NewOAuthClient } from './new-client';
import { FailedAuthentications } from './failed-authentications';
import { CLIENT_SECRET_BYTES, clientSecretName, secretUseIsDue, type ClientSecretStore } from './client-secrets';
import { SecretVerifiers } from './secret-verifiers';
import type { StoredSecretVerifiers } from './stored-verifiers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An authenticated client, and what its grant records of the secret it presented (SystemAuthRepository.markUsed). */
export interface AuthenticatedClient extends SystemAuth {
  usedSecret?: ClientSecretUse;
}

/** The answer of a rotation: the new secret, shown once. */
export interface RotatedClientSecret {
  id: string;
  clientSecret: string;
  createdAt: string;
}

export interface CreatedOAuthClient {
  clientId: string;
  /** Shown to the caller once; Secrets Manager keeps it, or nobody (only its verifier is kept). */
  clientSecret: string;
  systemAuth: SystemAuth;
}

/** What client authentication keeps in memory: one per container, built by the handler with its OAuthClients; tests hand in their own clocks. */
export interface ClientAuthenticationState {
  verifiers: SecretVerifiers;
  failures: FailedAuthentications;
}

/** A new, empty client-authentication state on the system clock. */
export const clientAuthenticationState = (): ClientAuthenticationState => ({ verifiers: new SecretVerifiers(), failures: new FailedAuthentications() });

/** OAuth clients of administrators and applications: their SystemAuths and their secrets. */
export class OAuthClients {
  private readonly verifiers: SecretVerifiers;
  private readonly failures: FailedAuthentications;

  /**
   * `stored`: keep new secrets as verifiers in their SystemAuth (CLIENT_SECRET_STORE=verifier, storedVerifiersOf);
   * without it each secret is a Secrets Manager secret. Either way a secret without a verifier is read from Secrets
   * Manager, so a stage switched to verifiers keeps authenticating its clients until migrate-client-secrets moved them.
   */
  constructor(
    private readonly systemAuths: SystemAuthRepository,
    private readonly records: OAuthClientRecords,
    private readonly secrets: ClientSecretStore,
    state: ClientAuthenticationState,
    private readonly stored?: StoredSecretVerifiers,
  ) {
    this.verifiers = state.verifiers;
    this.failures = state.failures;
  }

  /**
   * Creates an ACTIVE OAuth client. The secret is written first and the SystemAuth second, so a
   * crash in between leaves at worst a secret no client id can reach; a failed call of either
   * (including one whose response was lost after it took effect) deletes what may have been written.
   * QuotaExceededError when the tenant has MAX_OAUTH_CLIENTS_PER_TENANT live clients: the SystemAuth's
   * write is refused as a whole, so only the secret is deleted again.
   */
  async create(input: NewOAuthClient): Promise<CreatedOAuthClient> {
    validateNewClient(input);
    const clientId = randomUUID();
    const clientSecret = randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
    const systemAuth: SystemAuth = {
      id: clientId,
      tenant: input.tenant,
      kind: input.kind,
      type: OAUTH_CLIENT_TYPE,
      status: 'ACTIVE',
      scopes: [...new Set(input.scopes)],
      createdAt: new Date().toISOString(),
    };
    if (input.kind === 'APPLICATION') systemAuth.appId = input.appId;
    const name = clientSecretName(clientId);
    try {
      if (this.stored) {
        // Nothing is written before the SystemAuth, which carries the verifier: a failure here leaves nothing behind.
        systemAuth.secretVerifiers = { [INITIAL_CLIENT_SECRET_ID]: await this.stored.verifierOf(clientId, clientSecret) };
      } else {
        await this.secrets.create(name, clientSecret, `OAuth client secret of SystemAuth ${clientId}`);
      }
    } catch (cause) {
      if (this.stored) {
        logger.error('computing the verifier of a new OAuth client secret failed', { systemAuthId: clientId, error: errorSummary(cause) });
        throw new InternalError('Could not create the OAuth client', { cause });
      }
      logger.error('creating the OAuth client secret failed; deleting it in case it was created', { secretName: this.secrets.fullName(name), error: errorSummary(cause) });
      // The call may have failed after Secrets Manager stored the secret (a lost response); the name is
      // this call's fresh client id, so whatever is stored under it is ours to delete.
      await this.deleteOrphanedSecret(name);
      throw new InternalError('Could not create the OAuth client', { cause });
    }
    try {
      await this.records.create(systemAuth);
    } catch (cause) {
      if (cause instanceof QuotaExceededError) {
        logger.warn('OAuth client refused by the tenant quota; deleting its secret', { tenant: input.tenant, secretName: this.secrets.fullName(name) });
        if (!this.stored) await this.deleteOrphanedSecret(name);
        throw cause;
      }
      logger.error('storing the SystemAuth of a new OAuth client failed; deleting it and its secret', {
        systemAuthId: clientId,
        error: errorSummary(cause),
      });
      // The write may have succeeded with its response lost: remove the SystemAuth first (revoked first,
      // which gives its quota slot back if it took one), and the secret only once that worked, so a
      // failure here never leaves a SystemAuth without its secret.
      try {
        await this.records.revoke(input.tenant, clientId);
        await this.systemAuths.delete(clientId);
      } catch (compensationError) {
        logger.error('could not delete the SystemAuth of an OAuth client that was not created: revoke it by hand', {
          systemAuthId: clientId,
          error: errorSummary(compensationError),
        });
        throw new InternalError('Could not create the OAuth client', { cause });
      }
      if (!this.stored) await this.deleteOrphanedSecret(name);
      throw new InternalError('Could not create the OAuth client', { cause });
    }
    return { clientId, clientSecret, systemAuth };
  }

  /** An administrator of the tenant: what the local stack and the admin CLI create. */
  async createAdmin(tenant: string): Promise<{ clientId: string; clientSecret: string; tenant: string }> {
    const { clientId, clientSecret } = await this.create({ tenant, kind: 'ADMIN', scopes: [...ADMIN_SCOPES] });
    return { clientId, clientSecret, tenant };
  }

  /**
   * Revokes an OAuth client: REVOKED first, so it is refused from this moment on (the token endpoint and
   * bearer authentication accept only ACTIVE SystemAuths); then the secret; the SystemAuth item last, so a
   * failure part-way leaves a REVOKED SystemAuth that listing shows and a retry finishes, never a secret
   * nobody can find. The pairing adapter's revoke and revokeById both run this. Becoming REVOKED gives
   * the client's slot of the tenant's quota back, once, however often this is retried.
   */
  async revoke(systemAuth: Pick<SystemAuth, 'id' | 'tenant'>): Promise<void> {
    this.verifiers.forget(systemAuth.id);
    await this.records.revoke(systemAuth.tenant, systemAuth.id);
    // Read after REVOKED: no rotation adds a secret to a revoked client, so this is every secret it can have
    // (live ones, and retired ones whose deletion failed), plus the initial one, whatever the item says.
    const secretIds = new Set([INITIAL_CLIENT_SECRET_ID, ...(await this.records.clientSecretIdsOf(systemAuth.id))]);
    for (const secretId of secretIds) await this.secrets.delete(clientSecretName(systemAuth.id, secretId));
    await this.systemAuths.delete(systemAuth.id, { tenant: systemAuth.tenant, type: OAUTH_CLIENT_TYPE });
  }

  /**
   * Adds a second live secret to an ACTIVE OAuth client of an application (the caller has checked tenant and kind);
   * the first keeps working until it is revoked. ConflictError when the client already has MAX_LIVE_CLIENT_SECRETS.
   * As in create, the secret is written first and the SystemAuth second; a failure of the second deletes the secret
   * again, after taking the entry out of the SystemAuth in case the write took effect with its answer lost.
   */
  async rotateSecret(auth: SystemAuth): Promise<RotatedClientSecret> {
    const live = liveClientSecretsOf(auth);
    if (auth.status !== 'ACTIVE') throw new ConflictError(`OAuth client ${auth.id} is ${auth.status}: only an ACTIVE client gets a new secret`);
    if (live.length >= MAX_LIVE_CLIENT_SECRETS) throw tooManySecrets();
    const secret: RotatedClientSecret = {
      id: randomUUID(),
      clientSecret: randomBytes(CLIENT_SECRET_BYTES).toString('base64url'),
      createdAt: new Date().toISOString(),
    };
    const name = clientSecretName(auth.id, secret.id);
    let verifier: Buffer | undefined;
    try {
      if (this.stored) verifier = await this.stored.verifierOf(auth.id, secret.clientSecret);
      else await this.secrets.create(name, secret.clientSecret, `OAuth client secret ${secret.id} of SystemAuth ${auth.id}`);
    } catch (cause) {
      logger.error('keeping a rotated OAuth client secret failed', { secretName: this.secrets.fullName(name), error: errorSummary(cause) });
      if (!this.stored) await this.deleteOrphanedSecret(name);
      throw new InternalError('Could not rotate the client secret', { cause });
    }
    let added: boolean;
    try {
      added = await this.records.addClientSecret(auth, { id: secret.id, createdAt: secret.createdAt }, live[0], verifier);
    } catch (cause) {
      logger.error('recording a rotated OAuth client secret failed; removing it and its secret', { systemAuthId: auth.id, secretId: secret.id, error: errorSummary(cause) });
      try {
        // Only an entry this call may have added is removed: its id is fresh. Never the client's last one (the condition).
        await this.records.removeClientSecret(auth.tenant, auth.id, secret.id);
        await this.records.forgetRetiredClientSecret(auth.id, secret.id);
      } catch (compensationError) {
        logger.error('could not remove a rotated secret that was not recorded: revoke it by hand', {
          systemAuthId: auth.id, secretId: secret.id, error: errorSummary(compensationError),
        });
        throw new InternalError('Could not rotate the client secret', { cause });
      }
      if (!this.stored) await this.deleteOrphanedSecret(name);
      throw new InternalError('Could not rotate the client secret', { cause });
    }
    if (!added) {
      if (!this.stored) await this.deleteOrphanedSecret(name);
      // Changed since it was read: a concurrent rotation (then it holds two), a revocation, or a deletion.
      const now = await this.systemAuths.getOfTenant(auth.tenant, auth.id);
      if (!now) throw new NotFoundError(`No SystemAuth with id ${quotedId(auth.id)}`);
      if (liveClientSecretsOf(now).length >= MAX_LIVE_CLIENT_SECRETS) throw tooManySecrets();
      throw new ConflictError(`OAuth client ${auth.id} changed while its secret was rotated: try again`);
    }
    logger.info('OAuth client secret rotated', { tenant: auth.tenant, systemAuthId: auth.id, secretId: secret.id });
    return secret;
  }

  /**
   * Ends one live secret of an OAuth client (the caller has checked tenant and kind): refused from the next
   * request on, everywhere, because authentication checks the presented secret's id against the SystemAuth it
   * reads on every attempt. NotFoundError for an id that is not a live secret of the client; ConflictError for
   * its last live secret (deleting the client is deleteSystemAuthForApplication). Returns the SystemAuth after.
   */
  async revokeSecret(auth: SystemAuth, secretId: string): Promise<SystemAuth> {
    const live = liveClientSecretsOf(auth);
    const refusal = () => {
      if (!live.some((secret) => secret.id === secretId)) return new NotFoundError(`OAuth client ${auth.id} has no live secret with id ${quotedId(secretId)}`);
      if (live.length <= 1) return lastSecret(auth.id);
      return undefined;
    };
    const early = refusal();
    if (early) throw early;
    if ((await this.records.removeClientSecret(auth.tenant, auth.id, secretId)) === 'refused') {
      // A concurrent revocation or rotation: answer from what the item says now.
      const current = await this.systemAuths.getOfTenant(auth.tenant, auth.id);
      if (!current) throw new NotFoundError(`No SystemAuth with id ${quotedId(auth.id)}`);
      const liveNow = liveClientSecretsOf(current);
      if (!liveNow.some((secret) => secret.id === secretId)) throw new NotFoundError(`OAuth client ${auth.id} has no live secret with id ${quotedId(secretId)}`);
      throw lastSecret(auth.id);
    }
    this.verifiers.forget(auth.id, secretId);
    const name = clientSecretName(auth.id, secretId);
    try {
      await this.secrets.delete(name);
      await this.records.forgetRetiredClientSecret(auth.id, secretId);
    } catch (error) {
      // The secret no longer authenticates (the SystemAuth says so); its id stays retired, so revoking the client deletes it.
      logger.error('could not delete a revoked OAuth client secret; revoking the client deletes it', { secretName: this.secrets.fullName(name), error: errorSummary(error) });
    }
    logger.info('OAuth client secret revoked', { tenant: auth.tenant, systemAuthId: auth.id, secretId });
    const after = await this.systemAuths.getOfTenant(auth.tenant, auth.id);
    return after ?? { ...auth, clientSecrets: live.filter((secret) => secret.id !== secretId) };
  }

  /** Revokes the OAuth client with this id, whatever its tenant (the admin CLI). Idempotent; true when there was a client to revoke. */
  async revokeById(clientId: string): Promise<boolean> {
    if (!UUID.test(clientId)) return false;
    const auth = await this.systemAuths.get(clientId);
    if (auth === undefined) {
      // No SystemAuth, yet a secret may be left by a creation whose compensation failed: remove it too.
      await this.secrets.delete(clientSecretName(clientId));
      return false;
    }
    if (auth.type !== OAUTH_CLIENT_TYPE) return false;
    await this.revoke(auth);
    return true;
  }

  /**
   * The ACTIVE OAuth client with these credentials. Every failure (unknown id, wrong secret, revoked,
   * not an OAuth client) is the same invalid_client OAuthError; repeated failures for one client id are
   * answered later and later (FailedAuthentications).
   */
  async authenticate(clientId: string, clientSecret: string): Promise<AuthenticatedClient> {
    if (!UUID.test(clientId)) throw new ClientAuthenticationRefusedError({ code: 'MALFORMED_CLIENT_ID', reason: 'malformed client id' });
    const outcome = await this.authenticated(clientId, clientSecret);
    if ('authenticated' in outcome) return outcome.authenticated;
    await this.failures.record(clientId);
    throw new ClientAuthenticationRefusedError(outcome);
  }

  private async authenticated(clientId: string, clientSecret: string): Promise<{ authenticated: AuthenticatedClient } | RefusedClient> {
    // Read on every attempt: a client revoked anywhere, or one of its secrets revoked anywhere, is refused at once,
    // whatever verifier this process holds (verifiers are consulted only for the secret ids this item lists).
    const auth = await this.systemAuths.get(clientId);
    if (!auth || auth.type !== OAUTH_CLIENT_TYPE) return { code: 'UNKNOWN_CLIENT', reason: 'unknown client' };
    const client = { id: auth.id, tenant: auth.tenant, kind: auth.kind, ...(auth.appId === undefined ? {} : { appId: auth.appId }) };
    if (auth.status !== 'ACTIVE') return { code: 'NOT_ACTIVE', reason: 'client not active', client };
    const live = liveClientSecretsOf(auth);
    const verifiers = auth.secretVerifiers ?? {};
    // Secrets with a stored verifier (CLIENT_SECRET_STORE=verifier) are checked against it: one KMS GenerateMac per
    // presented secret and minute. Any other is in Secrets Manager: each is read once per SECRET_VERIFIER_TTL_MS, not
    // per attempt. Either way guessing costs no AWS call for a secret seen in the last minute.
    const inSecretsManager = live.filter((secret) => verifiers[secret.id] === undefined).map((secret) => secret.id);
    let matched: string | undefined;
    if (inSecretsManager.length < live.length) {
      if (!this.stored) throw new InternalError(`OAuth client ${clientId} has secret verifiers, but this stage keeps no verifier key (CLIENT_SECRET_STORE)`);
      matched = await this.stored.matchingSecret(clientId, clientSecret, live.map((secret) => ({ id: secret.id, verifier: verifiers[secret.id] })));
    }
    if (inSecretsManager.length > 0) {
      const fromSecretsManager = await this.verifiers.matchingSecret(clientId, clientSecret, inSecretsManager, (secretId) =>
        this.secrets.read(clientSecretName(clientId, secretId), 0),
      );
      matched ??= fromSecretsManager;
    }
    const secret = live.find((candidate) => candidate.id === matched);
    if (!secret) return { code: 'WRONG_SECRET', reason: 'wrong secret', client };
    // A client never rotated keeps no per-secret record: its lastUsedAt is the client's own.
    return { authenticated: { ...auth, usedSecret: { id: secret.id, recordUse: auth.clientSecrets !== undefined && secretUseIsDue(secret, new Date()) } } };
  }

  /** Compensation of a failed creation: deletes the secret, or logs its name for an operator (never its value). */
  private async deleteOrphanedSecret(name: string): Promise<void> {
    try {
      await this.secrets.delete(name);
    } catch (compensationError) {
      logger.error('could not delete the secret of an OAuth client that was not created: delete it by hand', {
        secretName: this.secrets.fullName(name),
        error: errorSummary(compensationError),
      });
    }
  }
}

const tooManySecrets = (): ConflictError =>
  new ConflictError(`An OAuth client has at most ${MAX_LIVE_CLIENT_SECRETS} live secrets: revoke one first (revokeClientSecret), then rotate`);

const lastSecret = (clientId: string): ConflictError =>
  new ConflictError(
    `This is the last live secret of OAuth client ${clientId}: a client keeps at least one; to end the client itself use deleteSystemAuthForApplication`,
  );

/** What may be logged about an AWS failure: its name, never request parameters. */
function errorSummary(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? 'unknown error';
}
