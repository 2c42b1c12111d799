// Module boundaries that constrain (twenty-style), not the '*' -> '*' that enforces nothing:
// apps import libs; libs never import apps; contracts import nothing of ours and no framework.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

export default [
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.nx/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
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
            { sourceTag: 'scope:auth-gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth-gateway'] },
            { sourceTag: 'scope:audit-writer', onlyDependOnLibsWithTags: ['scope:shared', 'scope:audit-writer'] },
            { sourceTag: 'scope:security-monitor', onlyDependOnLibsWithTags: ['scope:shared', 'scope:security-monitor'] },
            { sourceTag: 'scope:retention-worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:retention-worker'] },
          ],
        },
      ],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'Import Kafka through @vigil/kafka: kafkajs stays inside libs/kafka.' }] },
      ],
    },
  },
  { files: ['libs/kafka/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  // Tests, benchmarks and operator CLIs (*.cli.ts) print on purpose.
  { files: ['**/*.spec.ts', '**/*.test.ts', '**/*.cli.ts', 'test/**/*.ts', 'bench/**/*.ts', 'deploy/**/*.ts'], rules: { 'no-console': 'off' } },
];
