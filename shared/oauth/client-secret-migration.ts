// migrate-client-secrets --to verifier: moves a stage's OAuth client secrets out of Secrets Manager into KMS-keyed verifiers.
import type { AuditEventInput } from '../audit/types';
import type { OAuthClientRecords } from '../system-auths/oauth-client-records';
import type { SystemAuthRepository } from '../system-auths/repository';
import { INITIAL_CLIENT_SECRET_ID, liveClientSecretsOf, type SystemAuth } from '../system-auths/types';
import { clientSecretName, type ClientSecretStore } from './client-secrets';
import type { StoredSecretVerifiers } from './stored-verifiers';

/** What one run did, client by client; a run after a complete one finds every client `alreadyMigrated`. */
export interface ClientSecretMigrationReport {
  /** OAuth clients seen (ACTIVE and REVOKED). */
  clients: number;
  /** Clients whose secrets this run moved (verifiers written, Secrets Manager secrets deleted). */
  migrated: number;
  /** Clients a previous run (or creation in verifier mode followed by a run) finished: nothing to do. */
  alreadyMigrated: number;
  /** REVOKED clients: revocation deletes their secrets and items, so they are left to it. */
  revoked: number;
  /** Clients left as they were, with why (a live secret missing from Secrets Manager, the client changed meanwhile). */
  failed: { systemAuthId: string; reason: string }[];
}

export interface ClientSecretMigration {
  systemAuths: Pick<SystemAuthRepository, 'get'>;
  oauthClients: Pick<OAuthClientRecords, 'oauthClientsPage' | 'setClientSecretVerifier' | 'markClientSecretsMigrated' | 'clientSecretIdsOf' | 'forgetRetiredClientSecret'>;
  secrets: ClientSecretStore;
  verifiers: Pick<StoredSecretVerifiers, 'verifierOf'>;
  /** Appends one audit event (actor: the CLI). */
  audit: (event: Omit<AuditEventInput, 'actor'>) => Promise<unknown>;
  now: () => Date;
}

/**
 * Every ACTIVE OAuth client of the stage gets a verifier for each live secret that has none, read once from Secrets
 * Manager; only when the client's item shows a verifier for every live secret are its Secrets Manager secrets (live and
 * retired ones) deleted and the client marked migrated, with one CLIENT_SECRETS_MIGRATED event in its tenant. Each step
 * is conditional or idempotent, so a run stopped anywhere is resumed by running it again, and a client used, rotated or
 * revoked meanwhile is never broken: authentication in verifier mode reads a secret that has no verifier yet from
 * Secrets Manager. The stage must already run with CLIENT_SECRET_STORE=verifier (the caller checks).
 */
export async function migrateClientSecretsToVerifiers(migration: ClientSecretMigration): Promise<ClientSecretMigrationReport> {
  const report: ClientSecretMigrationReport = { clients: 0, migrated: 0, alreadyMigrated: 0, revoked: 0, failed: [] };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await migration.oauthClients.oauthClientsPage(startKey);
    for (const { auth, migrated } of page.clients) {
      report.clients += 1;
      if (auth.status !== 'ACTIVE') report.revoked += 1;
      else if (migrated) report.alreadyMigrated += 1;
      else {
        const failure = await migrateClient(migration, auth);
        if (failure === undefined) report.migrated += 1;
        else report.failed.push({ systemAuthId: auth.id, reason: failure });
      }
    }
    startKey = page.next;
  } while (startKey);
  return report;
}

/** Moves one client; undefined when done, else why it was left as it is. */
async function migrateClient(migration: ClientSecretMigration, auth: SystemAuth): Promise<string | undefined> {
  const { systemAuths, oauthClients, secrets, verifiers } = migration;
  let moved = 0;
  for (const secret of liveClientSecretsOf(auth)) {
    if (auth.secretVerifiers?.[secret.id] !== undefined) continue;
    const value = await secrets.read(clientSecretName(auth.id, secret.id), 0);
    if (value === undefined) return `its live secret ${secret.id} is not in Secrets Manager: rotate it, then revoke that secret`;
    // False when the secret stopped being live or got its verifier meanwhile: the check below decides.
    if (await oauthClients.setClientSecretVerifier(auth.id, secret.id, await verifiers.verifierOf(auth.id, value))) moved += 1;
  }
  const now = await systemAuths.get(auth.id);
  if (!now || now.status !== 'ACTIVE') return 'it was revoked while it was migrated';
  if (liveClientSecretsOf(now).some((secret) => now.secretVerifiers?.[secret.id] === undefined)) return 'it was rotated while it was migrated: run again';
  // Every live secret authenticates by its verifier now: what Secrets Manager holds of the client can go.
  const ids = new Set([INITIAL_CLIENT_SECRET_ID, ...(await oauthClients.clientSecretIdsOf(auth.id))]);
  const live = new Set(liveClientSecretsOf(now).map((secret) => secret.id));
  for (const secretId of ids) {
    await secrets.delete(clientSecretName(auth.id, secretId));
    if (!live.has(secretId)) await oauthClients.forgetRetiredClientSecret(auth.id, secretId);
  }
  await oauthClients.markClientSecretsMigrated(auth.id, migration.now());
  await migration.audit({
    tenant: now.tenant,
    action: 'CLIENT_SECRETS_MIGRATED',
    outcome: 'SUCCESS',
    target: { systemAuthId: now.id, applicationId: now.appId },
    details: { to: 'verifier', secrets: live.size, movedNow: moved },
  });
  return undefined;
}
