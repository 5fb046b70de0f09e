// Builds the Cockpit page in memory: the bundled app (cockpit/web), its stylesheet, a favicon and the index HTML.
// @ts-check
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');
const esbuild = require('esbuild');

/** The page's sources (written by the page's authors; this file only bundles them). */
const WEB_DIR = path.join(__dirname, 'web');
/** Where esbuild would write: nothing is written (write: false), it only names the outputs. */
const OUT_DIR = path.join(__dirname, '.out');

/**
 * @typedef {{ contentType: string, body: string }} CockpitFile
 * @typedef {{ indexHtml: string, files: Record<string, CockpitFile> }} CockpitAssets
 */

/** The content types of what the page may consist of; any other output stops the build. */
const CONTENT_TYPES = /** @type {Record<string, string>} */ ({
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
});

/**
 * Stands in the index HTML where the path in front of /cockpit goes; shared/cockpit/site.ts fills it in per
 * request (the same string is defined there).
 */
const BASE_PATH = '{{basePath}}';

/** File names the page links to: served below /cockpit/ and written into the HTML without escaping. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\.[a-z0-9]+$/;

// A favicon of our own, so that the browser's automatic /favicon.ico request (a 404) never happens.
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<circle cx="16" cy="16" r="14" fill="#1f4e79"/>' +
  '<path d="M8 20a8 8 0 0 1 16 0" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/>' +
  '<path d="M16 20l5-6" stroke="#ffd166" stroke-width="2.5" stroke-linecap="round"/>' +
  '</svg>\n';

/**
 * @param {string} name
 * @param {string} body
 * @returns {[string, CockpitFile]}
 */
function pageFile(name, body) {
  if (!FILE_NAME.test(name)) throw new Error(`cockpit build: unexpected output file name ${JSON.stringify(name)}`);
  const contentType = CONTENT_TYPES[path.extname(name)];
  if (!contentType) throw new Error(`cockpit build: no content type for ${name} (the page may consist of .js, .css and .svg files)`);
  return [name, { contentType, body }];
}

/** @param {string} text */
const shortHash = (text) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 12);

/**
 * Bundles cockpit/web/main.tsx and cockpit/web/styles.css into content-hashed files and writes the index HTML that
 * links them. Synchronous (esbuild.buildSync), so that both the serverless-esbuild plugin and tests can call it.
 * @returns {CockpitAssets}
 */
function buildCockpitAssets() {
  const result = esbuild.buildSync({
    absWorkingDir: __dirname,
    entryPoints: [
      { in: path.join(WEB_DIR, 'main.tsx'), out: 'app' },
      { in: path.join(WEB_DIR, 'styles.css'), out: 'app' },
    ],
    entryNames: '[name]-[hash]',
    outdir: OUT_DIR,
    write: false,
    bundle: true,
    metafile: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years; ES2020 is what every one of them runs natively.
    target: ['es2020', 'chrome100', 'edge100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(WEB_DIR, 'tsconfig.json'),
    charset: 'utf8',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Small icons become data: URLs (the CSP allows data: images), so no output refers to another by name.
    loader: { '.svg': 'dataurl' },
    logLevel: 'silent',
  });

  /** @type {Record<string, CockpitFile>} */
  const files = {};
  /** @type {string[]} */
  const scripts = [];
  /** @type {string[]} */
  const stylesheets = [];
  const outputs = result.metafile?.outputs ?? {};
  for (const output of result.outputFiles) {
    const name = path.relative(OUT_DIR, output.path);
    const [, file] = pageFile(name, output.text);
    files[name] = file;
    const meta = outputs[path.relative(__dirname, output.path)];
    // The app's entry is the page's one script; every stylesheet is linked (styles.css, and any CSS main.tsx imports).
    if (name.endsWith('.js') && meta?.entryPoint) scripts.push(name);
    if (name.endsWith('.css')) stylesheets.push(name);
  }
  if (scripts.length !== 1) throw new Error(`cockpit build: expected one script, got ${JSON.stringify(scripts)}`);
  stylesheets.sort();

  const [faviconName, favicon] = pageFile(`favicon-${shortHash(FAVICON_SVG)}.svg`, FAVICON_SVG);
  files[faviconName] = favicon;

  // Absolute paths, with the part in front of /cockpit left to the server (BASE_PATH): "/prod" on the
  // execute-api host, "" elsewhere. So /cockpit/ (trailing slash) loads them as well as /cockpit.
  // No inline script or style: the CSP forbids them.
  const indexHtml = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Cockpit · Pairing service</title>',
    `<link rel="icon" type="image/svg+xml" href="${BASE_PATH}/cockpit/${faviconName}">`,
    ...stylesheets.map((name) => `<link rel="stylesheet" href="${BASE_PATH}/cockpit/${name}">`),
    `<script type="module" src="${BASE_PATH}/cockpit/${scripts[0]}"></script>`,
    '</head>',
    '<body>',
    '<noscript>Cockpit needs JavaScript: please enable it for this site.</noscript>',
    '<div id="root"></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

  return { indexHtml, files };
}

module.exports = { buildCockpitAssets, WEB_DIR };
