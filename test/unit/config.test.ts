// Configuration from the environment: the per-tenant quotas' defaults, and settings that cannot be limits are refused at start.
import { loadConfig } from '../../shared/config';

describe('per-tenant quotas in the configuration', () => {
  it('default to 1000 applications and 200 live OAuth clients per tenant', () => {
    expect(loadConfig({})).toMatchObject({ maxApplicationsPerTenant: 1000, maxOAuthClientsPerTenant: 200 });
  });

  it('are read from MAX_APPLICATIONS_PER_TENANT and MAX_OAUTH_CLIENTS_PER_TENANT', () => {
    expect(loadConfig({ MAX_APPLICATIONS_PER_TENANT: '3', MAX_OAUTH_CLIENTS_PER_TENANT: '7' })).toMatchObject({ maxApplicationsPerTenant: 3, maxOAuthClientsPerTenant: 7 });
  });

  it.each(['0', '-1', '2.5', 'many'])('refuse %s as a limit', (value) => {
    expect(() => loadConfig({ MAX_APPLICATIONS_PER_TENANT: value })).toThrow(/MAX_APPLICATIONS_PER_TENANT/);
    expect(() => loadConfig({ MAX_OAUTH_CLIENTS_PER_TENANT: value })).toThrow(/MAX_OAUTH_CLIENTS_PER_TENANT/);
  });
});

describe('certificate limits per SystemAuth and the retention of certificate records', () => {
  it('default to 5 live and 100 unexpired certificates, records kept 30 days after expiry', () => {
    expect(loadConfig({})).toMatchObject({ maxLiveCertificates: 5, maxUnexpiredCertificates: 100, certificateRecordRetentionDays: 30 });
  });

  it('are read from MAX_LIVE_CERTIFICATES, MAX_UNEXPIRED_CERTIFICATES and CERTIFICATE_RECORD_RETENTION_DAYS', () => {
    expect(loadConfig({ MAX_LIVE_CERTIFICATES: '2', MAX_UNEXPIRED_CERTIFICATES: '9', CERTIFICATE_RECORD_RETENTION_DAYS: '7' })).toMatchObject({
      maxLiveCertificates: 2,
      maxUnexpiredCertificates: 9,
      certificateRecordRetentionDays: 7,
    });
  });

  it.each(['0', '-1', '2.5', 'many'])('refuse %s', (value) => {
    for (const name of ['MAX_LIVE_CERTIFICATES', 'MAX_UNEXPIRED_CERTIFICATES', 'CERTIFICATE_RECORD_RETENTION_DAYS']) {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});

describe('the validity of issued certificates', () => {
  it('defaults to 90 days and is read from CERTIFICATE_VALIDITY_DAYS', () => {
    expect(loadConfig({}).certificateValidityDays).toBe(90);
    expect(loadConfig({ CERTIFICATE_VALIDITY_DAYS: '30' }).certificateValidityDays).toBe(30);
  });

  it('is CERTIFICATE_VALIDITY_SECONDS on the local stage, in days', () => {
    expect(loadConfig({ CERTIFICATE_VALIDITY_SECONDS: '30', CERTIFICATE_VALIDITY_DAYS: '90' }).certificateValidityDays * 86_400).toBeCloseTo(30);
    expect(loadConfig({ STAGE: 'local', CERTIFICATE_VALIDITY_SECONDS: '864' }).certificateValidityDays).toBeCloseTo(0.01);
  });

  it('refuses CERTIFICATE_VALIDITY_SECONDS on any other stage, naming the setting and the stage', () => {
    for (const stage of ['prod', 'dev', 'test']) {
      expect(() => loadConfig({ STAGE: stage, CERTIFICATE_VALIDITY_SECONDS: '30' })).toThrow(`CERTIFICATE_VALIDITY_SECONDS is for the local stage only (stage "${stage}"`);
    }
    expect(loadConfig({ STAGE: 'prod', CERTIFICATE_VALIDITY_SECONDS: '' }).certificateValidityDays).toBe(90);
  });

  it.each(['0', '-1', '2.5', 'soon'])('refuses CERTIFICATE_VALIDITY_SECONDS=%s', (value) => {
    expect(() => loadConfig({ CERTIFICATE_VALIDITY_SECONDS: value })).toThrow(/CERTIFICATE_VALIDITY_SECONDS/);
  });
});

describe('CLIENT_SECRET_STORE', () => {
  it('defaults to secrets-manager, takes verifier, and names the stage key by its alias', () => {
    expect(loadConfig({})).toMatchObject({ clientSecretStore: 'secrets-manager', clientSecretMacKey: 'alias/pairing-service-local-client-secrets' });
    expect(loadConfig({ CLIENT_SECRET_STORE: 'verifier', STAGE: 'prod' })).toMatchObject({ clientSecretStore: 'verifier', clientSecretMacKey: 'alias/pairing-service-prod-client-secrets' });
  });

  it('refuses anything else, naming the variable and both values', () => {
    expect(() => loadConfig({ CLIENT_SECRET_STORE: 'dynamodb' })).toThrow(/CLIENT_SECRET_STORE must be secrets-manager or verifier, got "dynamodb"/);
  });
});
