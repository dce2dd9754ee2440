// The linter of `npm test` (and `npm run lint`): a small rule set kept green, for what
// tsc does not catch — `any`, unused variables and arguments, loose equality, promises
// nobody awaits or catches, `var` and `let` that never changes, a forgotten `debugger`.
// Type-aware rules (no-floating-promises) use each file's own tsconfig.json (the root one,
// or webview/tsconfig.json); the .mjs scripts are linted without types.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['out/', 'dist/', 'node_modules/', 'bench/traces/', '.e2e/', 'test-artifacts/', '.weft-demo/']),
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_name` marks a parameter or binding kept on purpose (an interface's shape, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-debugger': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A `let` read by a closure before its one assignment (a callback wired up before the
      // object it calls exists) stays a `let`: a `const` there would be in its temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-var': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise neither awaited, returned, caught nor marked `void` loses its error.
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
);
