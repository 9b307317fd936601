// ESLint (run by `npm test` through `npm run lint`): the recommended JavaScript and TypeScript
// rules, and React's rules of hooks. Type-aware rules are left to `tsc --noEmit` (typecheck).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // Unused names starting with _ are deliberate (destructuring a field away).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Every AWS client is made by makeClient (src/aws/endpoint-guard.ts): its endpoint is checked
    // before anything is sent, and the profile it is given chooses its endpoint as AWS_PROFILE would.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/aws/endpoint-guard.ts', '**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': ['error', { selector: 'NewExpression[callee.name=/Client$/]', message: 'make AWS clients with makeClient (src/aws/endpoint-guard.ts): it guards their endpoint' }],
    },
  },
  {
    // Tests may poke at loosely typed answers, reassign a frame they wait for, and match the
    // escape and control characters that must (not) reach the screen.
    files: ['test/**', 'bench/**', '**/*.test.{ts,tsx}'],
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-useless-assignment': 'off', 'no-control-regex': 'off', 'no-regex-spaces': 'off' },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', performance: 'readonly', Buffer: 'readonly', TextEncoder: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);
