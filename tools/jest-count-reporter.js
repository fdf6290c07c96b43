// Records one project's jest counts in <project>/test-results/counts.json so that `npm test` can print a
// single workspace-wide "N passed, N failed" line, also when Nx replays a cached result.
const fs = require('fs');
const path = require('path');

class JestCountReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const pkg = JSON.parse(fs.readFileSync(path.join(this.rootDir, 'package.json'), 'utf8'));
    const dir = path.join(this.rootDir, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const counts = {
      project: pkg.name,
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
    };
    fs.writeFileSync(path.join(dir, 'counts.json'), JSON.stringify(counts) + '\n');
  }
}

module.exports = JestCountReporter;
