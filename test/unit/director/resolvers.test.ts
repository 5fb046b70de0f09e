// Pins the Director's authorization with hand-made callers: scopes per operation, applications see only themselves.
import { graphql, type GraphQLResolveInfo } from 'graphql';
import type { Application } from '../../../shared/applications/types';
import { applicationResolvers } from '../../../shared/director/resolvers/applications';
import type { ObjectResolvers } from '../../../shared/graphql/schema';
import type { SystemAuth } from '../../../shared/system-auths/types';
import type { Caller } from '../../../shared/auth/caller';
import { ADMIN_SCOPES } from '../../../shared/scopes';
import type { DirectorContext, DirectorServices } from '../../../shared/director/context';
import { directorSchema } from '../../../shared/director/endpoint';
import type { ApplicationRepository } from '../../../shared/applications/repository';
import { ApplicationService } from '../../../shared/applications/service';
import { pairingOf, type PairingStores } from '../../../shared/pairing';

const APP_ID = '0b6e3c1e-6a0f-4c57-9a43-2a8f9a3b7c11';
const OTHER_ID = '11111111-6a0f-4c57-9a43-2a8f9a3b7c11';

const admin = (scopes: string[] = [...ADMIN_SCOPES]): Caller => ({ kind: 'ADMIN', tenant: 'acme', clientId: 'admin-client', scopes });
const application = (scopes: string[] = ['application:read']): Caller => ({
  kind: 'APPLICATION',
  tenant: 'acme',
  appId: APP_ID,
  systemAuthId: 'app-client',
  scopes,
  via: 'OAUTH',
});

// Every path pinned here is decided before storage is touched: stand-ins that fail loudly prove it.
const failingWhenTouched = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`storage touched: ${name}.${String(property)}`);
    },
  });
const untouchable = new ApplicationService(failingWhenTouched<ApplicationRepository>('ApplicationRepository'));
const untouchedServices: Omit<DirectorServices, 'applications' | 'systemAuthsOf'> = {
  pairing: failingWhenTouched('pairing'),
  clientCertificates: failingWhenTouched('clientCertificates'),
  oauthClientCredentials: failingWhenTouched('oauthClientCredentials'),
  certificatesOf: () => Promise.reject(new Error('storage touched: certificatesOf')),
  bearerAuthentication: failingWhenTouched('bearerAuthentication'),
  certificateAuthentication: failingWhenTouched('certificateAuthentication'),
  audit: failingWhenTouched('audit'),
  auditReader: failingWhenTouched('auditReader'),
  baseUrlSettings: () => ({ publicBaseUrl: 'https://api.example.com', stage: 'test' }),
};

function run(caller: Caller, source: string, variableValues?: Record<string, unknown>) {
  const context: DirectorContext = {
    ...untouchedServices,
    caller,
    applications: untouchable,
    systemAuthsOf: () => Promise.reject(new Error('storage touched: systemAuthsOf')),
    publicBaseUrl: 'https://api.example.com',
    requestId: 'test',
  };
  return graphql({ schema: directorSchema(), source, contextValue: context, variableValues });
}

const codes = (result: Awaited<ReturnType<typeof run>>) =>
  result.errors?.map((error) => (error.originalError as { code?: string } | undefined)?.code ?? error.message);

const adminMutations: [string, string][] = [
  ['registerApplication', 'mutation { registerApplication(in: {name: "x"}) { id } }'],
  ['updateApplication', `mutation { updateApplication(id: "${APP_ID}", in: {description: "d"}) { id } }`],
  ['unregisterApplication', `mutation { unregisterApplication(id: "${APP_ID}") { id } }`],
];

describe('Director authorization', () => {
  describe('viewer', () => {
    it('is the client id for an administrator', async () => {
      expect((await run(admin(), '{ viewer { id type tenant } }')).data).toEqual({
        viewer: { id: 'admin-client', type: 'ADMIN', tenant: 'acme' },
      });
    });

    it('is the application id for an application', async () => {
      expect((await run(application(), '{ viewer { id type tenant } }')).data).toEqual({
        viewer: { id: APP_ID, type: 'APPLICATION', tenant: 'acme' },
      });
    });
  });

  describe('queries need application:read', () => {
    it.each([
      ['applications', '{ applications { totalCount } }'],
      ['application', `{ application(id: "${APP_ID}") { id } }`],
    ])('%s is FORBIDDEN without it', async (_name, query) => {
      expect(codes(await run(admin(['application:write']), query))).toEqual(['FORBIDDEN']);
      expect(codes(await run(application([]), query))).toEqual(['FORBIDDEN']);
    });
  });

  describe('admin mutations', () => {
    it.each(adminMutations)('%s is FORBIDDEN for an application, whatever its scopes', async (_name, mutation) => {
      expect(codes(await run(application([...ADMIN_SCOPES]), mutation))).toEqual(['FORBIDDEN']);
    });

    it.each(adminMutations)('%s is FORBIDDEN for an administrator without application:write', async (_name, mutation) => {
      expect(codes(await run(admin(['application:read', 'application.auths:read']), mutation))).toEqual(['FORBIDDEN']);
    });
  });

  it('an application asking for another application gets null', async () => {
    const result = await run(application(), `{ application(id: "${OTHER_ID}") { id } }`);
    expect(result).toEqual({ data: { application: null } });
  });

  it('applications refuses a bad page size before reading anything', async () => {
    expect(codes(await run(admin(), '{ applications(first: 0) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(admin(), '{ applications(first: 101) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(application(), '{ applications(first: 101) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
  });

  it('applications refuses a garbage cursor before reading anything', async () => {
    expect(codes(await run(admin(), '{ applications(after: "garbage!") { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(application(), '{ applications(after: "garbage!") { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
  });

  describe('Application.auths', () => {
    const app: Application = {
      tenant: 'acme', id: APP_ID, name: 'app', status: { condition: 'INITIAL', timestamp: 't' }, createdAt: 't', updatedAt: 't',
    };
    const oauthAuth: SystemAuth = {
      id: 'client-1', tenant: 'acme', kind: 'APPLICATION', type: 'OAUTH2_CLIENT_CREDENTIALS', appId: APP_ID,
      status: 'ACTIVE', scopes: ['application:read'], createdAt: '2026-11-28T15:04:05.000Z',
    };
    const auths = (caller: Caller, of: Application = app) => {
      const resolve = applicationResolvers.Application as ObjectResolvers<DirectorContext>;
      const context: DirectorContext = {
        ...untouchedServices,
        caller,
        applications: untouchable,
        // The Director's pairing service: turning a SystemAuth into an AppSystemAuth touches no store.
        pairing: pairingOf({} as PairingStores).pairing,
        systemAuthsOf: async (tenant, appId) => (tenant === 'acme' && appId === APP_ID ? [oauthAuth] : []),
        publicBaseUrl: 'https://api.example.com',
        requestId: 'test',
      };
      return resolve.auths(of, {}, context, {} as GraphQLResolveInfo);
    };

    it('needs application.auths:read', async () => {
      await expect(auths(admin(['application:read']))).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(auths(application(['application:read']))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('lists the SystemAuths with the client id, token URL and its secrets\' ids, and never a secret', async () => {
      await expect(auths(admin())).resolves.toEqual([
        {
          id: 'client-1', type: 'OAUTH2_CLIENT_CREDENTIALS', status: 'ACTIVE', createdAt: '2026-11-28T15:04:05.000Z', lastUsedAt: null,
          clientId: 'client-1', clientSecret: null, tokenUrl: 'https://api.example.com/oauth2/token', scopes: ['application:read'],
          secrets: [{ id: 'initial', createdAt: '2026-11-28T15:04:05.000Z', lastUsedAt: null }], publicKeys: null, pairingAdapter: null, authType: null, adapterReference: null,
          presentation: expect.objectContaining({ label: 'OAuth 2.0 client credentials', credentialNoun: 'OAuth client' }), holdsCertificates: false,
        },
      ]);
    });

    it('an application with the scope sees its own, never another tenant\'s application', async () => {
      await expect(auths(application(['application:read', 'application.auths:read']))).resolves.toHaveLength(1);
      await expect(auths(admin(), { ...app, tenant: 'other' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
