import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { resolveStatic } from './static-path.js';

const root = resolve('/srv/renderer');

describe('static renderer files', () => {
  it('maps / to index.html and serves files under the root', () => {
    expect(resolveStatic(root, '/')).toBe(join(root, 'index.html'));
    expect(resolveStatic(root, '/assets/index-abc.js')).toBe(join(root, 'assets', 'index-abc.js'));
  });

  it('never leaves the root, nor serves hidden or unknown file types', () => {
    for (const path of ['/../etc/passwd.html', '/%2e%2e/x.js', '/assets/..%2f..%2fx.js', '/..%5cx.js', '/.env', '/assets/.hidden.js', '/x.js%00.png', '/server.ts', '/%E0%A4%A']) {
      expect(resolveStatic(root, path), path).toBeNull();
    }
  });
});
