// Jest: TypeScript through @swc/jest; local AWS (DynamoDB Local + moto) started once per run by globalSetup.
// Two projects: the whole suite with the default client secret store (Secrets Manager), and the OAuth tests again with
// CLIENT_SECRET_STORE=verifier (test/support/verifier-mode.ts), so both ways of keeping secrets are tested on every run.
const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  // jose, openid-client and oauth4webapi are ESM-only; let swc turn them into CommonJS for Jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi)/)'],
  // The service's JSON logs go to test-results/logs/ (LOG_LEVEL=... prints them): jest's report is the output.
  setupFilesAfterEnv: ['<rootDir>/test/support/quiet-logs.ts'],
};

/**
 * What runs in both modes: client authentication, the token endpoint (strict clients: openid-client), secret rotation and
 * revocation, OAuth pairing end to end, and the migration. About two minutes more on two cores; the rest of the suite
 * does not depend on how secrets are kept.
 */
const BOTH_SECRET_STORES = [
  // Not stalled-secrets-manager.test.ts: a verifier stage creates no Secrets Manager secret that could stall.
  '<rootDir>/test/integration/oauth/!(stalled-secrets-manager).test.ts',
  '<rootDir>/test/integration/pairing/client-secret-rotation.test.ts',
  '<rootDir>/test/integration/pairing/oauth-client-credentials.test.ts',
  '<rootDir>/test/e2e/oauth-pairing.test.ts',
];

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  projects: [
    { ...project, displayName: 'secrets-manager', testMatch: ['**/*.test.ts'] },
    { ...project, displayName: 'verifier', testMatch: BOTH_SECRET_STORES, setupFiles: ['<rootDir>/test/support/verifier-mode.ts'] },
  ],
};
