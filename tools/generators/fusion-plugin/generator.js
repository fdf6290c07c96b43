// `npx nx g @mmfuse/tools:fusion-plugin <name>`: writes a fusion plugin package from ./files.
// The template is a learnable softmax-weighted mean of the latents: small, but a real fusion with
// parameters, a schema, tests against a hand computation and finite differences, and a plugin test.
const path = require('path');
const { formatFiles, generateFiles, joinPathFragments, names } = require('@nx/devkit');

async function fusionPluginGenerator(tree, options) {
  const fusionName = options.name;
  const directory = options.directory ?? joinPathFragments('plugins', `fusion-${fusionName}`);
  if (tree.exists(joinPathFragments(directory, 'package.json'))) {
    throw new Error(`${directory} already holds a package; choose another name or --directory`);
  }
  const n = names(fusionName);
  const depth = directory.split('/').filter(Boolean).length;
  generateFiles(tree, path.join(__dirname, 'files'), directory, {
    fusionName,
    className: `${n.className}Fusion`,
    fileName: n.fileName,
    constantName: n.constantName,
    packageName: options.packageName ?? `mmfuse-fusion-${fusionName}`,
    rootOffset: '../'.repeat(depth),
    tmpl: '',
  });
  await formatFiles(tree);
}

module.exports = fusionPluginGenerator;
module.exports.default = fusionPluginGenerator;
