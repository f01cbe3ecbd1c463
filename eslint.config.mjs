import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.tools',
      '.data',
      'incidents',
      'test-results',
      'coverage',
      'examples/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The bin launcher is plain CommonJS for node, so it runs from an installed package as from a checkout.
    files: ['bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The console's script runs in browsers, as a classic script (served from console/, no build step).
    files: ['console/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['jest.config.js', '.dependency-cruiser.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // The product's processes log through pino (config/logger.ts): JSON lines with the incident's ids and a
    // level, which console.* has not. The command line (cli/) and scripts print to people, and keep it.
    files: ['{domain,config,store,activities,workflows,intake,workers}/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O modules, no wall clock helpers.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['fs', 'http', 'https', 'net', 'child_process', 'axios', 'pg', 'dockerode', '@slack/*'] },
      ],
    },
  },
);
