// Resolvers of pairing: auth types, generating credentials through the pairing adapters, deleting one credential, unpairing.
import type { Caller } from '../../auth/caller';
import { ForbiddenError } from '../../errors';
import type { Resolvers } from '../../graphql/schema';
import type { Application } from '../../applications/types';
import type { AuthTypeDescription, PairingResult } from '../../pairing/adapter';
import type { AppSystemAuth } from '../../pairing/app-system-auth';
import type { OneTimeTokenForApplication } from '../../pairing/client-certificate';
import type { PairingAuditEvent, RotatedSecret } from '../../pairing/adapter';
import type { AuditEventInput } from '../../audit/types';
import { newlyRevoked } from '../../audit/revocations';
import { isServiceId } from '../../ids';
import { PairingAdapterError } from '../../pairing/external-client';
import { actorOf, callerTrail, recordingIncompleteRevocation } from '../audit';
import { SCOPE_READ, requireAdministrator, requireScope } from '../authorization';
import type { DirectorContext } from '../context';
import { toIssuedCertificate, type IssuedCertificate } from './certificates';

interface GenerateArgs {
  id: string;
  type: { type: string };
  inputParams: unknown;
}

/** The audit event of an administrator's change in the caller's tenant. */
const byCaller = (caller: Caller, event: Omit<AuditEventInput, 'tenant' | 'actor' | 'outcome'>): AuditEventInput => ({
  tenant: caller.tenant, actor: actorOf(caller), outcome: 'SUCCESS', ...event,
});

/** A pairing's events: PAIRING_DATA_GENERATED with its type (never the params: they hold the secret or the token), then its type's own. */
const pairingEvents = (caller: Caller, appId: string, systemAuthId: string, type: string, own: PairingAuditEvent[]): AuditEventInput[] => [
  byCaller(caller, { action: 'PAIRING_DATA_GENERATED', target: { applicationId: appId, systemAuthId }, details: { type } }),
  ...own.map((event) => byCaller(caller, { ...event, target: { applicationId: appId, systemAuthId } })),
];

/** Reading pairing options is for administrators only: an application does not pair itself. */
function requireAdministratorReading(caller: Caller): void {
  if (caller.kind !== 'ADMIN') throw new ForbiddenError('Only administrators may do this; an application cannot pair applications');
  requireScope(caller, SCOPE_READ);
}

export const pairingResolvers: Resolvers<DirectorContext> = {
  Query: {
    getAuthTypesForApplication: async (_root: unknown, { appId }: { appId: string }, { caller, applications, pairing }: DirectorContext): Promise<AuthTypeDescription[]> => {
      requireAdministratorReading(caller);
      await applications.require(caller.tenant, appId);
      return pairing.authTypes();
    },
    authTypes: async (_root: unknown, _args: unknown, { caller, pairing }: DirectorContext): Promise<AuthTypeDescription[]> => {
      requireAdministratorReading(caller);
      return pairing.authTypes();
    },
  },
  Mutation: {
    generateAuthForApplication: async (_root: unknown, args: GenerateArgs, { caller, applications, pairing, publicBaseUrl, audit }: DirectorContext): Promise<PairingResult> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, args.id);
      let result: PairingResult;
      try {
        result = await pairing.generate(app, args.type.type, args.inputParams, { publicBaseUrl });
      } catch (error) {
        // An outside adapter that failed: the refusal is on the record, with its reason (never the adapter's answer).
        if (error instanceof PairingAdapterError) {
          await audit.record({
            tenant: caller.tenant, actor: actorOf(caller), outcome: 'REFUSED', action: 'PAIRING_DATA_GENERATED',
            target: { applicationId: app.id }, details: { type: args.type.type, adapter: error.adapter }, reason: error.reason,
          });
        }
        throw error;
      }
      await audit.recordAll(pairingEvents(caller, app.id, result.systemAuthID, result.type, pairing.pairedEvents(result)));
      return result;
    },
    requestOneTimeTokenForApplication: async (_root: unknown, { id }: { id: string }, { caller, applications, clientCertificates, publicBaseUrl, audit }: DirectorContext): Promise<OneTimeTokenForApplication> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, id);
      const token = await clientCertificates.requestOneTimeToken(app, { publicBaseUrl });
      const { systemAuthType } = clientCertificates;
      await audit.recordAll(pairingEvents(caller, app.id, token.systemAuthID, systemAuthType, clientCertificates.pairedEvents(token)));
      return token;
    },
    requestClientCredentialsForApplication: async (
      _root: unknown,
      { id }: { id: string },
      { caller, applications, pairing, oauthClientCredentials, publicBaseUrl, audit }: DirectorContext,
    ): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, id);
      const { systemAuth, clientSecret } = await oauthClientCredentials.requestClientCredentials(app, { publicBaseUrl });
      await audit.recordAll(pairingEvents(caller, app.id, systemAuth.id, systemAuth.type, oauthClientCredentials.pairedEvents()));
      // The one response that carries the secret: it exists nowhere but Secrets Manager afterwards.
      return pairing.toAppSystemAuth(systemAuth, { publicBaseUrl }, clientSecret);
    },
    deleteSystemAuthForApplication: async (_root: unknown, { authID }: { authID: string }, { caller, pairing, publicBaseUrl, audit }: DirectorContext): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const revoked = await pairing.revokeSystemAuth(caller.tenant, authID, callerTrail(audit, caller));
      await audit.record(byCaller(caller, {
        action: pairing.revokedActionOf(revoked),
        target: { applicationId: revoked.appId, systemAuthId: revoked.id }, details: { type: revoked.type },
      }));
      return pairing.toAppSystemAuth(revoked, { publicBaseUrl });
    },
    revokeIssuedCertificate: async (
      _root: unknown,
      { authID, serialNumber, sha256Fingerprint }: { authID: string; serialNumber?: string | null; sha256Fingerprint?: string | null },
      { caller, pairing, certificatesOf, audit }: DirectorContext,
    ): Promise<IssuedCertificate[]> => {
      requireAdministrator(caller);
      // What was live before, for the audit trail only (never answered: revoking checks the tenant and refuses another's).
      const before = isServiceId(authID) ? await certificatesOf(authID) : [];
      const revoked = await pairing.revokeIssuedCertificate(caller.tenant, authID, { serialNumber, sha256Fingerprint });
      await audit.recordAll(
        newlyRevoked(before, revoked).map((certificate) =>
          byCaller(caller, {
            action: 'CERTIFICATE_REVOKED',
            target: { applicationId: certificate.appId, systemAuthId: certificate.systemAuthId, certificateSerial: certificate.serialNumber, certificateFingerprint: certificate.sha256Fingerprint },
            details: { serialNumber: certificate.serialNumber, sha256Fingerprint: certificate.sha256Fingerprint, notAfter: certificate.notAfter },
          }),
        ),
      );
      return revoked.map(toIssuedCertificate);
    },
    rotateClientSecret: async (_root: unknown, { authID }: { authID: string }, { caller, pairing, audit }: DirectorContext): Promise<RotatedSecret> => {
      requireAdministrator(caller);
      const rotated = await pairing.rotateClientSecret(caller.tenant, authID);
      // The new secret's id, never its value.
      await audit.record(byCaller(caller, { action: 'CLIENT_SECRET_ROTATED', target: { systemAuthId: authID }, details: { secretId: rotated.id } }));
      // The one response that carries this secret's value.
      return rotated;
    },
    revokeClientSecret: async (
      _root: unknown,
      { authID, secretId }: { authID: string; secretId: string },
      { caller, pairing, publicBaseUrl, audit }: DirectorContext,
    ): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const auth = await pairing.revokeClientSecret(caller.tenant, authID, secretId);
      await audit.record(byCaller(caller, { action: 'CLIENT_SECRET_REVOKED', target: { applicationId: auth.appId, systemAuthId: auth.id }, details: { secretId } }));
      return pairing.toAppSystemAuth(auth, { publicBaseUrl });
    },
    addPublicKey: async (
      _root: unknown,
      { authID, publicKey }: { authID: string; publicKey: string },
      { caller, pairing, publicBaseUrl, audit }: DirectorContext,
    ): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const { systemAuth, kid } = await pairing.addPublicKey(caller.tenant, authID, publicKey);
      // The key's id (its thumbprint), never the key: public, but it has no place in the trail.
      await audit.record(byCaller(caller, { action: 'PUBLIC_KEY_ADDED', target: { applicationId: systemAuth.appId, systemAuthId: systemAuth.id }, details: { kid } }));
      return pairing.toAppSystemAuth(systemAuth, { publicBaseUrl });
    },
    removePublicKey: async (
      _root: unknown,
      { authID, keyId }: { authID: string; keyId: string },
      { caller, pairing, publicBaseUrl, audit }: DirectorContext,
    ): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const auth = await pairing.removePublicKey(caller.tenant, authID, keyId);
      await audit.record(byCaller(caller, { action: 'PUBLIC_KEY_REMOVED', target: { applicationId: auth.appId, systemAuthId: auth.id }, details: { kid: keyId } }));
      return pairing.toAppSystemAuth(auth, { publicBaseUrl });
    },
    unpairApplication: async (_root: unknown, { id }: { id: string }, { caller, applications, audit }: DirectorContext): Promise<Application> => {
      requireAdministrator(caller);
      await applications.require(caller.tenant, id);
      // Revoke before the status change: a failure leaves the application as it was, and a retry finishes.
      await recordingIncompleteRevocation(audit, caller, 'APPLICATION_UNPAIRED', id, () => applications.revokeCredentials(caller.tenant, id, callerTrail(audit, caller)));
      const app = await applications.setStatus(caller.tenant, id, 'INITIAL');
      await audit.record(byCaller(caller, { action: 'APPLICATION_UNPAIRED', target: { applicationId: id } }));
      return app;
    },
  },
};
