// The Director lists the certificates the Connector issued under a CLIENT_CERTIFICATE SystemAuth, and shows them revoked after deleteSystemAuthForApplication.
import { freshTenant } from '../../support/local-aws';
import { administrator, director } from '../pairing/director-calls';
import { SIGN, adapter, callConnector, csrFor, csrToken, pemOf } from './pairing-fixture';
import { X509Certificate } from 'node:crypto';
import { caLifecycle, certificateAuthority } from '../../support/stores';

beforeAll(() => caLifecycle.ensure());

const AUTHS = `query($id: ID!) { application(id: $id) { status { condition } auths { id type status certificates { serialNumber sha256Fingerprint subject notBefore notAfter revoked caId } } } }`;

test('Application.auths shows the issued certificate, the OAuth client has none, deletion marks it revoked', async () => {
  const tenant = freshTenant();
  const admin = await administrator(tenant);
  const registered = await director(admin.accessToken, 'mutation { registerApplication(in: {name: "certificates-listed"}) { id } }');
  const appId = registered.data!.registerApplication.id as string;
  const oauth = await director(admin.accessToken, `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { systemAuthID } }`, { id: appId });
  expect(oauth.errors).toBeUndefined();

  // The tokens function runs in-process here (no Lambda endpoint in integration tests).
  const result = await adapter.generate({ tenant, id: appId, name: 'certificates-listed' }, {}, { publicBaseUrl: 'https://api.example.test' });
  const token = await csrToken({ tenant, appId, systemAuthId: result.systemAuthID, token: String(result.params.token), params: result.params });
  const signed = await callConnector(SIGN, { csr: csrFor(result.systemAuthID) }, token);
  const leaf = new X509Certificate(pemOf(signed.json.data.result.clientCertificate));

  const listed = await director(admin.accessToken, AUTHS, { id: appId });
  expect(listed.errors).toBeUndefined();
  // Token-secured calls never change the application's status.
  expect(listed.data!.application.status.condition).toBe('INITIAL');
  const byType = Object.fromEntries((listed.data!.application.auths as Array<{ type: string }>).map((auth) => [auth.type, auth]));
  expect(byType.OAUTH2_CLIENT_CREDENTIALS).toMatchObject({ certificates: null });
  expect(byType.CLIENT_CERTIFICATE).toEqual({
    id: result.systemAuthID,
    type: 'CLIENT_CERTIFICATE',
    status: 'ACTIVE',
    certificates: [
      {
        serialNumber: leaf.serialNumber.toLowerCase(),
        sha256Fingerprint: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
        subject: `O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${result.systemAuthID}`,
        notBefore: new Date(leaf.validFrom).toISOString(),
        notAfter: new Date(leaf.validTo).toISOString(),
        revoked: false,
        // The issuing CA (the test stage's current one).
        caId: (await certificateAuthority.load()).id,
      },
    ],
  });

  const deleted = await director(
    admin.accessToken,
    'mutation($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id status certificates { revoked } } }',
    { id: result.systemAuthID },
  );
  expect(deleted.errors).toBeUndefined();
  expect(deleted.data!.deleteSystemAuthForApplication).toEqual({ id: result.systemAuthID, status: 'REVOKED', certificates: [{ revoked: true }] });
});
