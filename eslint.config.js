// Lint rules: typescript-eslint's recommended set plus the few rules that catch real bugs in
// async Node code. Type-aware rules are left out to keep `make test` fast on two cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.local/', 'out/', 'tools/kube-local/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', {
        object: 'process', property: 'env',
        message: 'Read configuration through src/plimsoll/config or src/matcher/config.ts (parsed once at start-up), not process.env.',
      }],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
    },
  },
  {
    // The only places allowed to read the environment: configuration parsing and test/tool harnesses.
    files: ['src/plimsoll/config/**', 'src/matcher/config.ts', 'test/**', 'tools/**', 'loadtests/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
