// Resolvers of pairing: auth types, generating credentials through the pairing adapters, deleting one credential, unpairing.
import type { Caller } from '../../auth/caller';
import { ForbiddenError } from '../../errors';
import type { Resolvers } from '../../graphql/schema';
import type { Application } from '../../applications/types';
import type { AuthTypeDescription, PairingResult } from '../../pairing/adapter';
import { toAppSystemAuth, type AppSystemAuth } from '../../pairing/app-system-auth';
import type { OneTimeTokenForApplication } from '../../pairing/client-certificate';
import type { RotatedClientSecret } from '../../oauth/clients';
import { SCOPE_READ, requireAdministrator, requireScope } from '../authorization';
import type { DirectorContext } from '../context';
import { toIssuedCertificate, type IssuedCertificate } from './certificates';

interface GenerateArgs {
  id: string;
  type: { type: string };
  inputParams: unknown;
}

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
  },
  Mutation: {
    generateAuthForApplication: async (_root: unknown, args: GenerateArgs, { caller, applications, pairing, publicBaseUrl }: DirectorContext): Promise<PairingResult> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, args.id);
      return pairing.generate(app, args.type.type, args.inputParams, { publicBaseUrl });
    },
    requestOneTimeTokenForApplication: async (_root: unknown, { id }: { id: string }, { caller, applications, clientCertificates, publicBaseUrl }: DirectorContext): Promise<OneTimeTokenForApplication> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, id);
      return clientCertificates.requestOneTimeToken(app, { publicBaseUrl });
    },
    requestClientCredentialsForApplication: async (_root: unknown, { id }: { id: string }, { caller, applications, pairing, publicBaseUrl }: DirectorContext): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      const app = await applications.require(caller.tenant, id);
      const { systemAuth, clientSecret } = await pairing.requestClientCredentials(app, { publicBaseUrl });
      // The one response that carries the secret: it exists nowhere but Secrets Manager afterwards.
      return toAppSystemAuth(systemAuth, publicBaseUrl, clientSecret);
    },
    deleteSystemAuthForApplication: async (_root: unknown, { authID }: { authID: string }, { caller, pairing, publicBaseUrl }: DirectorContext): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      return toAppSystemAuth(await pairing.revokeSystemAuth(caller.tenant, authID), publicBaseUrl);
    },
    revokeIssuedCertificate: async (
      _root: unknown,
      { authID, serialNumber, sha256Fingerprint }: { authID: string; serialNumber?: string | null; sha256Fingerprint?: string | null },
      { caller, clientCertificates }: DirectorContext,
    ): Promise<IssuedCertificate[]> => {
      requireAdministrator(caller);
      const revoked = await clientCertificates.revokeIssuedCertificate(caller.tenant, authID, { serialNumber, sha256Fingerprint });
      return revoked.map(toIssuedCertificate);
    },
    rotateClientSecret: async (_root: unknown, { authID }: { authID: string }, { caller, pairing }: DirectorContext): Promise<RotatedClientSecret> => {
      requireAdministrator(caller);
      // The one response that carries this secret's value.
      return pairing.rotateClientSecret(caller.tenant, authID);
    },
    revokeClientSecret: async (
      _root: unknown,
      { authID, secretId }: { authID: string; secretId: string },
      { caller, pairing, publicBaseUrl }: DirectorContext,
    ): Promise<AppSystemAuth> => {
      requireAdministrator(caller);
      return toAppSystemAuth(await pairing.revokeClientSecret(caller.tenant, authID, secretId), publicBaseUrl);
    },
    unpairApplication: async (_root: unknown, { id }: { id: string }, { caller, applications }: DirectorContext): Promise<Application> => {
      requireAdministrator(caller);
      await applications.require(caller.tenant, id);
      // Revoke before the status change: a failure leaves the application as it was, and a retry finishes.
      await applications.revokeCredentials(caller.tenant, id);
      return applications.setStatus(caller.tenant, id, 'INITIAL');
    },
  },
};
