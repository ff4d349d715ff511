/**
 * The renderer's Vite config, shared by electron-vite (desktop build) and the e2e tests (browser build), so
 * both hosts serve byte-for-byte the same UI.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/shared/web';

export const rendererRoot = fileURLToPath(new URL('./src/renderer', import.meta.url));

/**
 * Both hosts send the CSP as a header; the built page also carries it as a meta tag (defence in depth, e.g. if
 * the file is ever opened some other way). Build only: the dev server's React refresh needs an inline script.
 */
function cspMetaTag(): Plugin {
  // frame-ancestors is ignored (with a console warning) in a meta tag; the header carries it.
  const policy = CONTENT_SECURITY_POLICY.split('; ')
    .filter((d) => !d.startsWith('frame-ancestors'))
    .join('; ');
  return {
    name: 'lookalike-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head' }],
  };
}

export function rendererConfig(outDir: string): UserConfig {
  return {
    root: rendererRoot,
    // Relative asset URLs work under both `http://127.0.0.1:<port>/` and `lookalike://app/`.
    base: './',
    plugins: [react(), cspMetaTag()],
    build: {
      outDir,
      emptyOutDir: true,
      // Inlined data: URLs would need a looser CSP (img-src/font-src data:); emit every asset as a file.
      assetsInlineLimit: 0,
      sourcemap: false,
      minify: true,
      rolldownOptions: { input: fileURLToPath(new URL('./src/renderer/index.html', import.meta.url)) },
    },
  };
}
