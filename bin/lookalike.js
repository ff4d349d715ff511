#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm install`).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() guards the streams; this is the last word, and a closed stderr must not turn it into a stack trace.
    process.stderr.on('error', () => undefined);
    process.stderr.write(`lookalike: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
