module.exports = { ...require('../../jest.preset.js'), displayName: 'fusion-sum' };
