// The pairing adapter registry: listing auth types, validating inputParams before any adapter runs, routing revocation.
import { BadUserInputError, InternalError } from '../../../shared/errors';
import type { AppSystemAuthFields, PairingAdapter, PairingApplication, PairingAuditEvent, PairingContext, PairingResult } from '../../../shared/pairing/adapter';
import { buildSchema, GraphQLEnumType } from 'graphql';
import { directorSdl } from '../../../shared/director/schema';
import { pairingOf, type PairingStores } from '../../../shared/pairing';
import { OAuthClientCredentialsAdapter } from '../../../shared/pairing/oauth-client-credentials';
import { PairingAdapterRegistry } from '../../../shared/pairing/registry';
import type { OAuthClients } from '../../../shared/oauth/clients';
import { SYSTEM_AUTH_TYPES, type SystemAuth } from '../../../shared/system-auths/types';
import { EXTERNAL_TYPE } from '../../../shared/system-auths/external-auths';
import { rejection } from '../../support/promises';
import { noFollowUps } from '../../support/caller-trail';

/** An adapter that records what reaches it, with the schema of the real OAuth adapter or its own. */
class RecordingAdapter implements PairingAdapter {
  readonly generated: Array<{ application: PairingApplication; inputParams: Record<string, unknown>; context: PairingContext }> = [];
  readonly revoked: SystemAuth[] = [];
  readonly revokedAction = 'SYSTEM_AUTH_REVOKED';
  constructor(
    readonly authType: PairingAdapter['authType'],
    readonly systemAuthType: PairingAdapter['systemAuthType'],
  ) {}
  async generate(application: PairingApplication, inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult> {
    this.generated.push({ application, inputParams, context });
    return { type: this.authType.type, systemAuthID: 'auth-1', params: { echoed: inputParams } };
  }
  pairedEvents(): PairingAuditEvent[] {
    return [];
  }
  publicFields(): AppSystemAuthFields {
    return {};
  }
  async revoke(systemAuth: SystemAuth): Promise<void> {
    this.revoked.push(systemAuth);
  }
}

const presentation = { label: 'Certificates', credentialNoun: 'certificate', revocationEffect: 'certificates', pendingHint: null, handoverWarning: null, params: [], inputParams: [] };

/** The registry as the Director configures it; building it touches no store, so stand-ins do. */
const pairingAdapters = pairingOf({} as PairingStores).registry;

const application: PairingApplication = { tenant: 'tenant-a', id: 'app-1', name: 'my-app' };
const context: PairingContext = { publicBaseUrl: 'https://pairing.example.com' };

function oauthLike() {
  const adapter = new RecordingAdapter(new OAuthClientCredentialsAdapter({} as OAuthClients).authType, 'OAUTH2_CLIENT_CREDENTIALS');
  const certificates = new RecordingAdapter(
    { type: 'CLIENT_CERTIFICATE', description: 'certificates', inputParams: { type: 'object', additionalProperties: false }, presentation },
    'CLIENT_CERTIFICATE',
  );
  return { adapter, certificates, registry: new PairingAdapterRegistry([adapter, certificates]) };
}

describe('PairingAdapterRegistry', () => {
  it('lists the auth types of its adapters in registration order', () => {
    const { registry } = oauthLike();
    expect(registry.authTypes().map((t) => t.type)).toEqual(['OAUTH2_CLIENT_CREDENTIALS', 'CLIENT_CERTIFICATE']);
  });

  it('the configured registry offers OAUTH2_CLIENT_CREDENTIALS with the JSON Schema of its inputParams', () => {
    const oauth = pairingAdapters.authTypes().find((t) => t.type === 'OAUTH2_CLIENT_CREDENTIALS');
    expect(oauth?.description).toMatch(/client credentials/i);
    expect(oauth?.inputParams).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        scopes: {
          type: 'array',
          items: { type: 'string', enum: ['application:read', 'application.auths:read'] },
          uniqueItems: true,
          description: expect.any(String),
        },
      },
    });
  });

  it('refuses to register two adapters for the same auth type', () => {
    const { adapter } = oauthLike();
    expect(() => new PairingAdapterRegistry([adapter, adapter])).toThrow(/registered twice/);
  });

  it('refuses two adapters that create SystemAuths of one type (revocation would not know which to ask)', () => {
    const { adapter } = oauthLike();
    const twin = new RecordingAdapter({ ...adapter.authType, type: 'OAUTH2_TWIN' }, 'OAUTH2_CLIENT_CREDENTIALS');
    expect(() => new PairingAdapterRegistry([adapter, twin])).toThrow(/two pairing adapters create SystemAuths of type OAUTH2_CLIENT_CREDENTIALS/);
  });

  it('lets adapters that each handle all SystemAuths of one type share it, checking input with their own validator', async () => {
    const schema = { type: 'object', additionalProperties: false, properties: { ttl: { type: 'integer' } } };
    const ownValidator = Object.assign((data: unknown): data is Record<string, unknown> => typeof (data as { ttl?: unknown }).ttl === 'number', { errors: null });
    const shared = (type: string) => Object.assign(new RecordingAdapter({ type, description: type, inputParams: schema, presentation }, 'EXTERNAL'), {
      sharesSystemAuthType: true, validateInput: ownValidator,
    });
    const first = shared('FIRST_TYPE');
    const second = shared('SECOND_TYPE');
    const registry = new PairingAdapterRegistry([first, second]);
    expect(registry.adapterOf('EXTERNAL')).toBe(first);
    expect(registry.adapterOf('SECOND_TYPE')).toBe(second);
    await registry.generate(application, 'SECOND_TYPE', { ttl: 5 }, context);
    expect(second.generated).toHaveLength(1);
    await expect(registry.generate(application, 'SECOND_TYPE', { ttl: 'x' }, context)).rejects.toThrow(BadUserInputError);
    expect(second.generated).toHaveLength(1);
    // One sharing and one not is still ambiguous.
    expect(() => new PairingAdapterRegistry([first, new RecordingAdapter({ ...first.authType, type: 'THIRD' }, 'EXTERNAL')])).toThrow(/two pairing adapters/);
  });

  it("the configured registry's types, the SystemAuth types and the Director's SystemAuthType enum are the same set", () => {
    const sdlEnum = buildSchema(directorSdl).getType('SystemAuthType');
    expect(sdlEnum).toBeInstanceOf(GraphQLEnumType);
    const sdlTypes = (sdlEnum as GraphQLEnumType).getValues().map((value) => value.name);
    // The built-in types, and the one type every outside adapter's credentials have (none is configured here).
    const registryTypes = [...pairingAdapters.authTypes().map((authType) => authType.type), EXTERNAL_TYPE];
    expect(new Set(registryTypes)).toEqual(new Set(SYSTEM_AUTH_TYPES));
    expect(new Set(sdlTypes)).toEqual(new Set(SYSTEM_AUTH_TYPES));
  });

  it('hands valid inputParams, the application and the context to the adapter and returns its result', async () => {
    const { adapter, registry } = oauthLike();
    const result = await registry.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', { scopes: ['application.auths:read'] }, context);
    expect(result).toEqual({ type: 'OAUTH2_CLIENT_CREDENTIALS', systemAuthID: 'auth-1', params: { echoed: { scopes: ['application.auths:read'] } } });
    expect(adapter.generated).toEqual([{ application, inputParams: { scopes: ['application.auths:read'] }, context }]);
  });

  it.each([
    [{}],
    [{ scopes: [] }],
    [{ scopes: ['application:read'] }],
    [{ scopes: ['application:read', 'application.auths:read'] }],
  ])('accepts OAuth inputParams %j', async (inputParams) => {
    const { adapter, registry } = oauthLike();
    await registry.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', inputParams, context);
    expect(adapter.generated).toHaveLength(1);
  });

  it.each([
    [{ scope: ['application:read'] }, 'inputParams has unknown key "scope"'],
    [{ scopes: 'application:read' }, 'inputParams.scopes must be array'],
    [{ scopes: ['application:write'] }, 'inputParams.scopes[0] must be one of: "application:read", "application.auths:read"'],
    [{ scopes: ['application:read', 7] }, 'inputParams.scopes[1] must be string'],
    [{ scopes: ['application:read', 'application:read'] }, 'inputParams.scopes must NOT have duplicate items'],
    [null, 'inputParams must be object'],
    [[], 'inputParams must be object'],
    ['{}', 'inputParams must be object'],
  ])('refuses OAuth inputParams %j with BAD_USER_INPUT naming what is wrong, before the adapter runs', async (inputParams, message) => {
    const { adapter, registry } = oauthLike();
    const error = await rejection(registry.generate(application, 'OAUTH2_CLIENT_CREDENTIALS', inputParams, context));
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(error.message).toContain('invalid inputParams for OAUTH2_CLIENT_CREDENTIALS');
    expect(error.message).toContain(message);
    expect(adapter.generated).toHaveLength(0);
  });

  it('refuses an unknown auth type with BAD_USER_INPUT naming the known ones', async () => {
    const { adapter, certificates, registry } = oauthLike();
    const error = await rejection(registry.generate(application, 'SAML', {}, context));
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(error.message).toBe('unknown auth type "SAML"; known types: OAUTH2_CLIENT_CREDENTIALS, CLIENT_CERTIFICATE');
    expect(adapter.generated).toHaveLength(0);
    expect(certificates.generated).toHaveLength(0);
  });

  it('routes revocation to the adapter that creates SystemAuths of that type', async () => {
    const { adapter, certificates, registry } = oauthLike();
    const auth: SystemAuth = {
      id: 'cn-1', tenant: 'tenant-a', kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: 'app-1',
      status: 'ACTIVE', scopes: ['application:read'], createdAt: '2026-01-01T00:00:00.000Z',
    };
    await registry.revoke(auth, noFollowUps);
    expect(certificates.revoked).toEqual([auth]);
    expect(adapter.revoked).toEqual([]);
  });

  it('treats a SystemAuth type no adapter revokes as an internal error', async () => {
    const registry = new PairingAdapterRegistry([oauthLike().adapter]);
    const auth: SystemAuth = {
      id: 'cn-1', tenant: 'tenant-a', kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: 'app-1',
      status: 'ACTIVE', scopes: [], createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(await rejection(registry.revoke(auth, noFollowUps))).toBeInstanceOf(InternalError);
  });
});
