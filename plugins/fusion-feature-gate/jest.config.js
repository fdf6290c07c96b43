module.exports = { ...require('../../tools/jest.preset.js'), displayName: 'fusion-feature-gate' };
