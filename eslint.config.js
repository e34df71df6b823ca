// ESLint: typescript-eslint's type-checked recommendations over src/ (formatting is Prettier's).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/', 'bench/', 'scripts/', 'bin/', 'test/', '*.config.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // commands and checks implement async interfaces; a body that happens not to await is fine
      '@typescript-eslint/require-await': 'off',
      // `_` names what is destructured away on purpose; a rest sibling drops the named keys
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  prettier,
);
