module.exports = { ...require('./jest.preset.js'), displayName: 'tools', testMatch: ['<rootDir>/{generators,e2e}/**/*.spec.ts'] };
