// Three tiers (immich-style): "unit" needs nothing; "integration" runs against the real Kafka
// broker and PostgreSQL started by deploy/local/infra.sh (test/run-tests.sh starts them); "e2e"
// (test/e2e) drives the whole system through its public APIs and topics only, on the same infra.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  // Global-only options: integration tests wait on real brokers (never sleep; waitFor with a deadline).
  testTimeout: 120000,
  slowTestThreshold: 30,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/apps/**/*.int.test.ts',
        '<rootDir>/libs/**/*.int.test.ts',
        '<rootDir>/test/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
