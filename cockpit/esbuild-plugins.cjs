// esbuild plugins of serverless-esbuild (custom.esbuild.plugins): the Cockpit page as the virtual module `cockpit-assets`.
// @ts-check
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { buildCockpitAssets, WEB_DIR } = require('./build.cjs');

const MODULE = 'cockpit-assets';
const NAMESPACE = 'cockpit-assets';

/**
 * Every file and folder below cockpit/web, so that a rebuild follows edits, new files and removals.
 * @param {string} dir
 * @returns {{ files: string[], dirs: string[] }}
 */
function webSources(dir) {
  /** @type {{ files: string[], dirs: string[] }} */
  const found = { files: [], dirs: [dir] };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const below = webSources(full);
      found.files.push(...below.files);
      found.dirs.push(...below.dirs);
    } else if (entry.isFile()) {
      found.files.push(full);
    }
  }
  return found;
}

/**
 * Resolves exactly the bare import `cockpit-assets` (only functions/cockpit has it) to a module whose default
 * export is buildCockpitAssets(): the page is built into the cockpit function's bundle. Other imports are untouched.
 * @type {import('esbuild').Plugin}
 */
const cockpitAssetsPlugin = {
  name: 'cockpit-assets',
  setup(build) {
    build.onResolve({ filter: /^cockpit-assets$/ }, () => ({ path: MODULE, namespace: NAMESPACE }));
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => {
      const { files: watchFiles, dirs: watchDirs } = webSources(WEB_DIR);
      try {
        return { contents: JSON.stringify(buildCockpitAssets()), loader: 'json', watchFiles, watchDirs };
      } catch (error) {
        // esbuild's own failure carries its messages (file, line); report those as this build's errors.
        const messages = /** @type {{ errors?: import('esbuild').PartialMessage[] }} */ (error).errors;
        const errors = messages?.length ? messages : [{ text: `Cockpit build failed: ${/** @type {Error} */ (error).message}` }];
        return { errors, watchFiles, watchDirs };
      }
    });
  },
};

module.exports = [cockpitAssetsPlugin];
