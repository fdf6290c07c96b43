module.exports = { ...require('../../tools/jest.preset.js'), displayName: 'fusion-token-attention' };
