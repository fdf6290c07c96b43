// Tests never write into the user's cache: each jest process gets its own, removed when it exits.
const { mkdtempSync, rmSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

if (!process.env.MMFUSE_CACHE_DIR) {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-test-cache-'));
  process.env.MMFUSE_CACHE_DIR = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
