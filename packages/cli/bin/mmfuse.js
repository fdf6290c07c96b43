#!/usr/bin/env node
// Stable entry for the `mmfuse` command: present before the first build, so npm always links it.
const { existsSync } = require('fs');
const { join } = require('path');

const entry = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('error: mmfuse is not built yet; run "npm run build" in the workspace first\n');
  process.exit(2);
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
