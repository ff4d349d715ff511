#!/usr/bin/env node
// `npm start`: opens the desktop app where Electron is installed; otherwise starts browser mode
// (`lookalike serve`), which prints the URL to open. Electron is an optional dependency whose binary
// cannot be downloaded everywhere, so both paths are first-class.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    // The electron package's main export is the path of its binary; it throws if the download never happened.
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function ensureBuilt(file, script) {
  if (existsSync(join(root, file))) return;
  const run = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

// Ctrl-C reaches the child through the terminal; this process waits for it to exit instead of dying first.
process.on('SIGINT', () => undefined);

const electron = electronBinary();
let child;
if (electron) {
  ensureBuilt('out/main/index.js', 'build:ui');
  child = spawn(electron, ['.'], { cwd: root, stdio: 'inherit' });
} else {
  console.error('Electron is not installed here; starting browser mode instead.');
  ensureBuilt('dist/cli/main.js', 'build');
  ensureBuilt('out/renderer/index.html', 'build:ui');
  child = spawn(process.execPath, [join(root, 'bin/lookalike.js'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
}
// A service manager's stop reaches only this process: pass it on so the library closes cleanly.
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
