// Jest: TypeScript through @swc/jest; local AWS (DynamoDB Local + moto) started once per run by globalSetup.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  // jose, openid-client and oauth4webapi are ESM-only; let swc turn them into CommonJS for Jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // The service's JSON logs go to test-results/logs/ (LOG_LEVEL=... prints them): jest's report is the output.
  setupFilesAfterEnv: ['<rootDir>/test/support/quiet-logs.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
};
