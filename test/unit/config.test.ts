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
