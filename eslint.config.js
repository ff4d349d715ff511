/**
 * The lint is the layering: every folder stands on a floor and imports only from floors below its own (README,
 * "Architecture"), plus the packages some folders may not load. `npm test` runs it first (scripts/run-tests.mjs);
 * a finding fails the run. No violation is suppressed.
 */
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * Floors, lowest first. A folder may import its own files and any folder on a lower floor, nothing else: so no
 * import runs back up, and two features on the same floor cannot import each other (no cycles between folders).
 */
export const FLOORS = [
  { floor: 0, name: 'shared', folders: ['src/shared'] },
  { floor: 1, name: 'core base', folders: ['src/core/base'] },
  { floor: 2, name: 'catalog', folders: ['src/core/catalog'] },
  { floor: 3, name: 'capabilities', folders: ['src/core/vectors', 'src/core/scan', 'src/core/ocr', 'src/core/eval', 'src/core/features'] },
  { floor: 4, name: 'models', folders: ['src/core/models'] },
  { floor: 5, name: 'images and products', folders: ['src/core/images', 'src/core/products'] },
  { floor: 6, name: 'product regions', folders: ['src/core/locate'] },
  { floor: 7, name: 'features over images', folders: ['src/core/thumbs', 'src/core/search', 'src/core/dedupe', 'src/core/jobs'] },
  { floor: 8, name: 'features over features', folders: ['src/core/library', 'src/core/match', 'src/core/doctor'] },
  { floor: 9, name: 'core app', folders: ['src/core/app'] },
  { floor: 10, name: 'transports', folders: ['src/server', 'src/main', 'src/preload'] },
  { floor: 11, name: 'cli', folders: ['src/cli'] },
  // Not the product: they may use all of src/, and src/ may not use them (src/**/*.test.ts may use test/support).
  { floor: 12, name: 'build tools', folders: ['tools'] },
  { floor: 13, name: 'test support', folders: ['test/support'] },
  { floor: 14, name: 'benches and tests', folders: ['bench', 'test'] },
];

/** The renderer runs in the sandboxed window: the contract and its types are all it may know of the rest. */
const RENDERER = { folder: 'src/renderer', may: ['src/shared'] };

const typeOf = (folder) => folder.replaceAll('/', ':');
const elements = [...FLOORS.flatMap((f) => f.folders), RENDERER.folder].map((folder) => ({
  type: typeOf(folder),
  pattern: folder,
}));

const below = (floor) => FLOORS.filter((f) => f.floor < floor).flatMap((f) => f.folders);

const policies = [
  ...FLOORS.flatMap((f) =>
    f.folders.map((folder) => ({
      from: { element: { type: typeOf(folder) } },
      allow: { to: { element: { types: { anyOf: [folder, ...below(f.floor)].map(typeOf) } } } },
    })),
  ),
  { from: { element: { type: typeOf(RENDERER.folder) } }, allow: { to: { element: { types: { anyOf: [RENDERER.folder, ...RENDERER.may].map(typeOf) } } } } },
  // A unit test next to the code may use the shared test doubles and fixture generators; the code itself may not.
  { from: { file: { categories: 'test' } }, allow: { to: { element: { type: typeOf('test/support') } } } },
];

/** The one module that loads ONNX Runtime: it turns the runtime's telemetry off before any session starts. */
const ONNX_DOOR = 'src/core/base/onnx-runtime.ts';
const ONNX = { name: 'onnxruntime-node', allowTypeImports: true, message: `load ONNX Runtime through ${ONNX_DOOR} (it turns telemetry off first)` };
const ELECTRON = { name: 'electron', message: 'only src/main and src/preload may load Electron: the engine, the CLI and the server run in plain Node' };
const NODE = { regex: '^node:', message: 'src/shared and src/renderer also run in the sandboxed window: no Node built-ins' };
const bans = (files, paths, patterns = [], ignores = []) => ({ files, ignores, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } });

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'build/', 'out/', 'models/', 'test-results/', '.cache/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    // Some files carry disable comments for rules this config does not run (yet): not a finding.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaFeatures: { jsx: true } } },
    // typescript-eslint's plugin only so that its rule names in eslint-disable comments resolve; none is enabled.
    plugins: { boundaries, '@typescript-eslint': tseslint.plugin },
    settings: {
      'boundaries/elements': elements,
      'boundaries/files': [{ category: 'test', pattern: '**/*.test.ts' }],
      'boundaries/include': ['src/**', 'bench/**', 'tools/**', 'test/**'],
      // Resolves the NodeNext `./x.js` specifiers to their `.ts` sources. tsconfig.json only: the Electron configs
      // map 'electron' onto src/main's type stub, which would make every `import 'electron'` a src/main import.
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
    },
    rules: {
      // A new folder must be given a floor here before its files lint: an unknown folder would escape every rule.
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: '{{from.type}} may not import {{to.type}}: imports run down the floors only (eslint.config.js FLOORS, README "Architecture")',
          policies,
        },
      ],
    },
  },
  // Packages a folder may not load. Later blocks would replace earlier ones' lists for the same file, so the file
  // sets are disjoint and each block names all of its bans.
  bans(['src/shared/**/*.ts', 'src/renderer/**/*.{ts,tsx}'], [ONNX, ELECTRON], [NODE]),
  bans(['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/server/**/*.ts'], [ONNX, ELECTRON], [], [ONNX_DOOR]),
  bans([ONNX_DOOR], [ELECTRON]),
  bans(['src/main/**/*.ts', 'src/preload/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts'], [ONNX]),
);
