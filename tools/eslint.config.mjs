// Lint for the whole workspace: typescript-eslint's recommended rules and Nx's module boundaries
// on the scope tags, so the dependency rules in the README are enforced, not only written down.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** What each scope's library code may import (besides its own files). */
const runtime = {
  'scope:core': [],
  'scope:backend': [],
  'scope:config': ['scope:core'],
  'scope:model': ['scope:core'],
  'scope:runs': ['scope:core'],
  'scope:data': ['scope:core'],
  'scope:data-source': ['scope:core', 'scope:data'],
  'scope:failures': ['scope:core'],
  'scope:encoders': ['scope:core'],
  'scope:regularizers': ['scope:core'],
  'scope:lipschitz': ['scope:core'],
  'scope:testing': ['scope:core'],
  'scope:plugin': ['scope:core', 'scope:plugin'],
  'scope:trainer': ['scope:core', 'scope:backend', 'scope:config', 'scope:model', 'scope:failures', 'scope:runs'],
  'scope:queue': ['scope:core', 'scope:config', 'scope:runs'],
  'scope:analysis': ['scope:core', 'scope:failures', 'scope:runs'],
  'scope:report': ['scope:core', 'scope:runs'],
  'scope:cli': ['*'],
  'scope:tools': ['*'],
};
/**
 * Tests may also use the building blocks a fixture needs (a backend, the model, components, data,
 * configs, fusions to estimate), never the layers above them: a spec that needs a trained run
 * belongs to the tools project's end-to-end tests.
 */
const fixtures = ['scope:backend', 'scope:config', 'scope:model', 'scope:encoders', 'scope:data', 'scope:failures', 'scope:plugin', 'scope:core', 'scope:testing'];

const constraints = (extra) =>
  Object.entries(runtime).map(([sourceTag, allowed]) => ({
    sourceTag,
    onlyDependOnLibsWithTags: allowed.includes('*') ? ['*'] : [...new Set([...allowed, ...extra])],
  }));

const boundaries = (extra) => [
  'error',
  { allow: [], enforceBuildableLibDependency: false, checkDynamicDependenciesExceptions: [], depConstraints: constraints(extra) },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/test-results/**', 'tools/generators/fusion-plugin/files/**', 'docs/**'] },
  { files: ['**/*.ts'], extends: [tseslint.configs.recommended] },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      // `_name` marks a value that is taken apart and left unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Optional and native modules (tfjs-node, h5wasm, ffmpeg) are loaded with require() on purpose,
      // only when used, so that a package works without them.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Library code stays in small pieces: a file over 300 lines or a function over 80 states why
    // (an eslint-disable comment with its reason), as schema literals and the failure catalogue do.
    files: ['packages/*/src/**/*.ts', 'plugins/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**', '**/test-support/**'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/testing/**/*.ts', '**/test-support/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(fixtures),
      // Specs hand malformed values to code on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
