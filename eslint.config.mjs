// Module boundaries that constrain (twenty-style), not the '*' -> '*' that enforces nothing:
// apps import libs; libs never import apps; contracts import nothing of ours and no framework;
// the pure cores import no framework; test helpers and fixtures stay out of production code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

// no-restricted-imports is one rule: a later block replaces an earlier block's options, so every
// block below states its whole list, built from these parts.
const KAFKAJS = {
  name: 'kafkajs',
  message: 'Import Kafka through @vigil/kafka: kafkajs stays inside libs/kafka.',
};
const TEST_ONLY = {
  // The libs' entry points, and any testing/ folder by path (tsc would compile an imported file into the build).
  group: ['@vigil/testing', '@vigil/*/testing', '**/testing', '**/testing/**'],
  message:
    'Test helpers and fixtures are for tests (*.spec.ts, *.test.ts, test/): they are not in the production build.',
};
// STYLE.md: the rule engine, windowing, canonical encoding, chain hashing and the contracts are plain
// TypeScript, unit-tested without I/O. Nest modules adapt them at the edges.
const PURE_CORE = {
  group: [
    '@nestjs/*',
    'kafkajs',
    'typeorm',
    'pg',
    'pg-*',
    'winston',
    '@opentelemetry/*',
    '@vigil/kafka',
    '@vigil/database',
    '@vigil/runtime',
    '@vigil/telemetry',
    '@vigil/auth',
  ],
  message:
    'Pure core (the monitor engine, libs/chain, libs/contracts): no Nest, Kafka, TypeORM, PostgreSQL, winston or OpenTelemetry.',
};
const PURE_CORE_FILES = [
  'apps/security-monitor/src/engine/**/*.ts',
  'libs/chain/**/*.ts',
  'libs/contracts/**/*.ts',
];
const PURE_CORE_SPECS = PURE_CORE_FILES.map((glob) => glob.replace('**/*.ts', '**/*.spec.ts'));
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.test.ts',
  'libs/testing/**/*.ts',
  'libs/*/src/testing/**/*.ts',
  'apps/*/src/testing/**/*.ts',
];
// A package's internal files are not its API (the compiled validator asks class-transformer's public API).
const INTERNALS = {
  group: ['class-transformer/*', 'class-validator/*'],
  message: 'Use the package entry point: its internal files are not API and move between versions.',
};
const restricted = (paths, patterns) => ['error', { paths, patterns: [...patterns, INTERNALS] }];

export default [
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      '.nx/**',
      'coverage/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
            {
              sourceTag: 'kind:contracts',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: ['@nestjs/*', 'kafkajs', 'typeorm', 'pg', 'winston', '@opentelemetry/*'],
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:auth-gateway',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth-gateway'],
            },
            {
              sourceTag: 'scope:audit-writer',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:audit-writer'],
            },
            {
              sourceTag: 'scope:security-monitor',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:security-monitor'],
            },
            {
              sourceTag: 'scope:retention-worker',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:retention-worker'],
            },
            // The operator CLI talks to the services over their HTTP APIs, never through their code.
            { sourceTag: 'scope:vigil-cli', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      'no-restricted-imports': restricted([KAFKAJS], [TEST_ONLY]),
    },
  },
  // Tests may use test helpers; libs/kafka may use kafkajs (its specs too).
  { files: TEST_FILES, rules: { 'no-restricted-imports': restricted([KAFKAJS], []) } },
  { files: ['libs/kafka/**/*.ts'], rules: { 'no-restricted-imports': restricted([], [TEST_ONLY]) } },
  {
    files: ['libs/kafka/**/*.spec.ts', 'libs/kafka/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  // The pure cores, their specs included (they need no framework either).
  { files: PURE_CORE_FILES, rules: { 'no-restricted-imports': restricted([], [PURE_CORE, TEST_ONLY]) } },
  { files: PURE_CORE_SPECS, rules: { 'no-restricted-imports': restricted([], [PURE_CORE]) } },
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  // Tests, benchmarks and operator CLIs (*.cli.ts) print on purpose.
  {
    files: ['**/*.spec.ts', '**/*.test.ts', '**/*.cli.ts', 'test/**/*.ts', 'bench/**/*.ts', 'deploy/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
