// The CLIENT_CERTIFICATE pairing adapter: a PENDING SystemAuth and a one-time token for the Connector, where the application gets its certificate.
import { randomUUID } from 'node:crypto';
import { connectorUrl, type TokenIssuance } from '../one-time-tokens/issuance';
import { applicationScopesFor } from '../scopes';
import type { TokenIssuer } from '../one-time-tokens/issuer';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import { BadUserInputError, NotFoundError } from '../errors';
import { quotedId } from '../ids';
import { CLIENT_CERTIFICATE_TYPE as CLIENT_CERTIFICATE, type CertificateSystemAuths } from '../system-auths/certificate-auths';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { CertificateRepository } from '../system-auths/certificate-records';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type {
  AppSystemAuthFields, AuthTypeDescription, CertificateRevocation, PairingAdapter, PairingApplication, PairingAuditEvent, PairingContext, PairingResult,
} from './adapter';

/** Hex as people write it (openssl prints `0A:1B`, others `0a1b`): without colons, lower case, no leading zeros. */
const hexKey = (hex: string): string => hex.replace(/:/g, '').toLowerCase().replace(/^0+(?=.)/, '');

/** API.md section 4: exactly these keys. */
export interface ClientCertificateParams extends Record<string, unknown> {
  token: string;
  connectorURL: string;
  /** RFC 3339. */
  expiresAt: string;
  /** base64 of JSON {token, connectorURL, expiresAt}: one string an administrator can hand over. */
  rawEncoded: string;
}

function clientCertificateParams(issued: TokenIssuance, connectorURL: string): ClientCertificateParams {
  const { token, expiresAt } = issued;
  const rawEncoded = Buffer.from(JSON.stringify({ token, connectorURL, expiresAt }), 'utf8').toString('base64');
  return { token, connectorURL, expiresAt, rawEncoded };
}

/** Compass's OneTimeTokenForApplication (requestOneTimeTokenForApplication). */
export interface OneTimeTokenForApplication {
  token: string;
  connectorURL: string;
  used: boolean;
  expiresAt: string;
  createdAt: string;
  rawEncoded: string;
  /** The SystemAuth the token pairs (not part of the GraphQL type; the audit trail names it). */
  systemAuthID: string;
}

export class ClientCertificateAdapter implements PairingAdapter, CertificateRevocation {
  readonly authType: AuthTypeDescription = {
    type: CLIENT_CERTIFICATE,
    description:
      'Client certificate: a one-time token for the Connector, where the application sends a CSR and gets a certificate ' +
      'signed by the pairing CA for the mTLS endpoint.',
    inputParams: { type: 'object', additionalProperties: false },
    presentation: {
      label: 'Client certificate',
      credentialNoun: 'client certificate',
      revocationEffect: 'certificates (and any pending one-time token)',
      pendingHint: 'Waiting for the application to redeem its one-time token.',
      handoverWarning: null,
      params: [
        { name: 'token', label: 'One-time token' },
        { name: 'connectorURL', label: 'Connector URL (where the token is redeemed)' },
        { name: 'expiresAt', label: 'Expires at' },
        {
          name: 'rawEncoded',
          label: 'rawEncoded (token, Connector URL and expiry in one base64 string, for Compass-style clients; the pairing agent takes it too)',
        },
      ],
      inputParams: [],
    },
  };

  readonly systemAuthType = CLIENT_CERTIFICATE;

  readonly revokedAction = 'SYSTEM_AUTH_REVOKED';

  readonly certificates: CertificateRevocation = this;

  constructor(
    private readonly tokenIssuer: TokenIssuer,
    private readonly systemAuths: SystemAuthRepository,
    private readonly certificateAuths: CertificateSystemAuths,
    private readonly certificateRecords: CertificateRepository,
    private readonly oneTimeTokens: OneTimeTokenRepository,
  ) {}

  async generate(application: PairingApplication, _inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult> {
    const { systemAuth, params } = await this.createToken(application, context);
    return { type: CLIENT_CERTIFICATE, systemAuthID: systemAuth.id, params, expiresAt: params.expiresAt };
  }

  /** Certificate pairing hands out a CONFIGURATION one-time token (the tokens function stored it). */
  pairedEvents(result: Pick<PairingResult, 'expiresAt'>): PairingAuditEvent[] {
    return [{ action: 'ONE_TIME_TOKEN_ISSUED', details: { purpose: 'CONFIGURATION', expiresAt: result.expiresAt ?? null } }];
  }

  /** Nothing beyond what every SystemAuth shows: its certificates are resolved per field (AppSystemAuth.certificates). */
  publicFields(): AppSystemAuthFields {
    return {};
  }

  /**
   * The SystemAuth and first token behind `generate`, also for requestOneTimeTokenForApplication.
   * When the token cannot be issued the SystemAuth is deleted again: nothing is left behind.
   */
  async createToken(
    application: PairingApplication,
    context: PairingContext,
    now: Date = new Date(),
  ): Promise<{ systemAuth: SystemAuth; params: ClientCertificateParams; createdAt: string }> {
    const systemAuth: SystemAuth = {
      id: randomUUID(),
      tenant: application.tenant,
      kind: 'APPLICATION',
      type: CLIENT_CERTIFICATE,
      appId: application.id,
      status: 'PENDING',
      scopes: applicationScopesFor(),
      createdAt: now.toISOString(),
    };
    await this.systemAuths.create(systemAuth);
    let issued: TokenIssuance;
    try {
      issued = await this.tokenIssuer.issue({ tenant: application.tenant, appId: application.id, systemAuthId: systemAuth.id });
    } catch (error) {
      await this.systemAuths.delete(systemAuth.id, { tenant: systemAuth.tenant, type: CLIENT_CERTIFICATE });
      throw error;
    }
    // The Connector's URL as the administrator reached the API, like the OAuth token URL: the tokens function builds none.
    return { systemAuth, params: clientCertificateParams(issued, connectorUrl(context.publicBaseUrl)), createdAt: systemAuth.createdAt };
  }

  /** requestOneTimeTokenForApplication: the same pairing as `generate`, in Compass's shape. */
  async requestOneTimeToken(application: PairingApplication, context: PairingContext): Promise<OneTimeTokenForApplication> {
    const { systemAuth, params, createdAt } = await this.createToken(application, context);
    return {
      token: params.token, connectorURL: params.connectorURL, used: false, expiresAt: params.expiresAt, createdAt, rawEncoded: params.rawEncoded,
      systemAuthID: systemAuth.id,
    };
  }

  /**
   * Revokes one certificate of the SystemAuth (the caller has checked it is the tenant's and of this type), named by
   * exactly one of its serial number or fingerprint, with every certificate renewed from it; returns them all, revoked.
   */
  async revokeIssuedCertificate(
    auth: SystemAuth,
    named: { serialNumber?: string | null; sha256Fingerprint?: string | null },
  ): Promise<CertificateRecord[]> {
    const { serialNumber, sha256Fingerprint } = named;
    if ((serialNumber == null) === (sha256Fingerprint == null)) {
      const message = 'name the certificate by exactly one of serialNumber or sha256Fingerprint';
      throw new BadUserInputError(message, { violations: [{ field: serialNumber == null ? 'serialNumber' : 'sha256Fingerprint', message }] });
    }
    const wanted = hexKey(serialNumber ?? sha256Fingerprint!);
    const records = await this.certificateRecords.listOf(auth.id);
    const match = records.find((record) => hexKey(serialNumber == null ? record.sha256Fingerprint : record.serialNumber) === wanted);
    if (!match) {
      throw new NotFoundError(`SystemAuth ${auth.id} has no certificate with ${serialNumber == null ? 'fingerprint' : 'serial number'} ${quotedId(serialNumber ?? sha256Fingerprint!)}`);
    }
    return (await this.certificateRecords.revokeLineage(auth.id, match.sha256Fingerprint)) ?? [];
  }

  /**
   * REVOKED first: from then on no token is issued or redeemed and no certificate signed for it (those
   * writes require PENDING or ACTIVE), so the certificates listed next are all there will ever be.
   * Then every token (spent ones too, so no retry hands out a certificate again), the item last: a
   * failure part-way leaves a REVOKED SystemAuth that a retry finishes.
   */
  async revoke(systemAuth: SystemAuth): Promise<void> {
    // Undefined: the tenant has no such SystemAuth (any more); never touch what another tenant's id might hold.
    if (!(await this.systemAuths.updateStatus(systemAuth.tenant, systemAuth.id, 'REVOKED'))) return;
    await this.certificateRecords.revokeAllOf(systemAuth.id);
    await this.oneTimeTokens.delete(await this.certificateAuths.oneTimeTokenHashesOf(systemAuth.id));
    await this.systemAuths.delete(systemAuth.id, { tenant: systemAuth.tenant, type: CLIENT_CERTIFICATE });
  }
}
