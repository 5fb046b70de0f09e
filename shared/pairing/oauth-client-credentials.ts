// The OAUTH2_CLIENT_CREDENTIALS pairing adapter: an OAuth client of kind APPLICATION whose secret only Secrets Manager keeps.
import { logger } from '../logger';
import type { OAuthClients } from '../oauth/clients';
import { APPLICATION_BASE_SCOPE, APPLICATION_SCOPES_INPUT, applicationScopesFor } from '../scopes';
import { OAUTH_CLIENT_TYPE } from '../system-auths/oauth-client-records';
import { liveClientSecretsOf, type SystemAuth } from '../system-auths/types';
import type {
  AppSystemAuthFields, AuthTypeDescription, PairingAdapter, PairingApplication, PairingAuditEvent, PairingContext, PairingResult, RotatedSecret, SecretRotation,
} from './adapter';

/** The absolute URL of the token endpoint as the caller reached the API. */
export const tokenUrl = (publicBaseUrl: string): string => `${publicBaseUrl}/oauth2/token`;

/** API.md section 4: exactly these keys. */
export interface OAuthClientCredentialsParams extends Record<string, unknown> {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scopes: string[];
}

export class OAuthClientCredentialsAdapter implements PairingAdapter, SecretRotation {
  readonly authType: AuthTypeDescription = {
    type: OAUTH_CLIENT_TYPE,
    description:
      `OAuth 2.0 client credentials (RFC 6749 4.4): a client id and a secret shown once, exchanged at the token URL for access tokens. ` +
      `Scope ${APPLICATION_BASE_SCOPE} is always granted.`,
    inputParams: {
      type: 'object',
      additionalProperties: false,
      properties: {
        scopes: APPLICATION_SCOPES_INPUT,
      },
    },
    presentation: {
      label: 'OAuth 2.0 client credentials',
      credentialNoun: 'OAuth client',
      revocationEffect: 'client and its access tokens',
      pendingHint: null,
      handoverWarning:
        'The client secret is shown once, now. Copy it and hand it to the application over a secure channel: nobody can read it again, and a ' +
        'lost secret means pairing again.',
      params: [
        { name: 'clientId', label: 'Client id' },
        { name: 'clientSecret', label: 'Client secret' },
        { name: 'tokenUrl', label: 'Token URL' },
        { name: 'scopes', label: 'Scopes' },
      ],
      inputParams: [{ name: 'scopes', label: 'Scopes' }],
    },
  };

  readonly systemAuthType = OAUTH_CLIENT_TYPE;

  readonly revokedAction = 'CLIENT_CREDENTIALS_REVOKED';

  readonly secrets: SecretRotation = this;

  constructor(private readonly clients: OAuthClients) {}

  async generate(application: PairingApplication, inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult> {
    // The registry has validated inputParams against the schema above.
    const { systemAuth, params } = await this.createClient(application, inputParams.scopes as string[] | undefined, context);
    return { type: OAUTH_CLIENT_TYPE, systemAuthID: systemAuth.id, params };
  }

  /**
   * The client behind `generate`, also for requestClientCredentialsForApplication, which answers
   * with the SystemAuth itself. `requestedScopes` must be APPLICATION_SCOPES (the schema ensures it).
   */
  async createClient(
    application: PairingApplication,
    requestedScopes: readonly string[] | undefined,
    context: PairingContext,
  ): Promise<{ systemAuth: SystemAuth; params: OAuthClientCredentialsParams }> {
    const scopes = applicationScopesFor(requestedScopes);
    const { clientId, clientSecret, systemAuth } = await this.clients.create({
      tenant: application.tenant,
      kind: 'APPLICATION',
      appId: application.id,
      scopes,
    });
    return { systemAuth, params: { clientId, clientSecret, tokenUrl: tokenUrl(context.publicBaseUrl), scopes } };
  }

  pairedEvents(): PairingAuditEvent[] {
    return [{ action: 'CLIENT_CREDENTIALS_ISSUED' }];
  }

  /** The client id, the token URL and the live secrets (never a value but the one just created). */
  publicFields(auth: SystemAuth, context: PairingContext, clientSecret?: string): AppSystemAuthFields {
    return {
      clientId: auth.id,
      ...(clientSecret === undefined ? {} : { clientSecret }),
      tokenUrl: tokenUrl(context.publicBaseUrl),
      secrets: liveClientSecretsOf(auth).map((secret) => ({ id: secret.id, createdAt: secret.createdAt, lastUsedAt: secret.lastUsedAt ?? null })),
    };
  }

  /** Compass's requestClientCredentialsForApplication: a new OAuth client with the default scopes, and its secret. */
  async requestClientCredentials(application: PairingApplication, context: PairingContext): Promise<{ systemAuth: SystemAuth; clientSecret: string }> {
    const { systemAuth, params } = await this.createClient(application, undefined, context);
    logger.info('application paired', { tenant: application.tenant, appId: application.id, type: systemAuth.type, systemAuthId: systemAuth.id });
    return { systemAuth, clientSecret: params.clientSecret };
  }

  /** The revocation every OAuth client goes through (see OAuthClients.revoke for the order and why). */
  revoke(systemAuth: SystemAuth): Promise<void> {
    return this.clients.revoke(systemAuth);
  }

  /** A second live secret for the client (see OAuthClients.rotateSecret). */
  rotateSecret(systemAuth: SystemAuth): Promise<RotatedSecret> {
    return this.clients.rotateSecret(systemAuth);
  }

  /** Ends one live secret of the client, never its last (see OAuthClients.revokeSecret). */
  revokeSecret(systemAuth: SystemAuth, secretId: string): Promise<SystemAuth> {
    return this.clients.revokeSecret(systemAuth, secretId);
  }
}
