module.exports = { ...require('../../tools/jest.preset.js'), displayName: 'data-robomnist' };
