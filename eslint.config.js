// Lint rules from STYLE.md §B and §I: promises are awaited, module boundaries typed, and nobody
// reaches into another package's src or into a service. Import cycles and undeclared
// dependencies are checked by test/repo/imports.test.ts.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tsbuild/**', '.hearth/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    // .tsx: the portal (services/portal), type-checked through its own tsconfig.json
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@hearth/*/src/*', '@hearth/*/dist/*'], message: 'import the package by name; its exports field is its public surface' }] },
      ],
    },
  },
  {
    // services never import each other; what they share lives in libs/
    files: ['services/**/*.ts', 'services/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@hearth/gateway', '@hearth/cli', '@hearth/pool-manager', '@hearth/data-mover', '@hearth/provisioner', '@hearth/analytics', '@hearth/portal'].map((name) => ({
            name,
            message: 'services never import each other; move what they share into libs/',
          })),
          patterns: [{ group: ['@hearth/*/src/*', '@hearth/*/dist/*'], message: 'import the package by name' }],
        },
      ],
    },
  },
  {
    // libs sit below services and import only downward
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@hearth/gateway', '@hearth/cli', '@hearth/pool-manager', '@hearth/data-mover', '@hearth/provisioner', '@hearth/analytics'], message: 'libs never import services' },
            { group: ['@hearth/*/src/*', '@hearth/*/dist/*'], message: 'import the package by name' },
          ],
        },
      ],
    },
  },
);
