module.exports = { ...require('../../jest.preset.js'), displayName: 'encoders' };
