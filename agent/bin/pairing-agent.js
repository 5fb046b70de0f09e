#!/usr/bin/env node
// The pairing-agent command: loads the TypeScript sources through tsx (no build step) and runs the CLI.
'use strict';
require('tsx/cjs/api')
  .require('../src/cli.ts', __filename)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
