// Shared jest settings: TypeScript through swc (fast, keeps decorator metadata for inversify),
// tests beside the code, and a reporter that records counts for the workspace summary line.
const path = require('path');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Jest's default leaves one core idle; the projects already run one at a time, so each uses them all.
  maxWorkers: '100%',
  setupFiles: [path.join(__dirname, 'jest-cache-dir.js')],
  globalSetup: path.join(__dirname, 'jest-global-setup.js'),
  reporters: ['default', path.join(__dirname, 'jest-count-reporter.js')],
};
