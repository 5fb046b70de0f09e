// Pins one Node.js major for the deployed functions, their bundles and everything npm runs here, and the refusal to run on another.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { NODE_PACKAGES, pinnedNodeVersion, runtimeMismatch } from '../../../local/node-runtime';

const root = path.resolve(__dirname, '../../..');
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const major = (version: string) => version.replace(/^v/, '').split('.')[0];

describe('the Node.js major', () => {
  const pinned = pinnedNodeVersion(root);
  // Unknown CloudFormation tags (!GetAtt, !Ref) parse as plain values; only errors throw.
  const serverless = parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' });

  test('is that of the Lambda runtime, and the bundles target it', () => {
    expect(serverless.provider.runtime).toBe(`nodejs${major(pinned)}.x`);
    expect(serverless.custom.esbuild.target).toBe(`node${major(pinned)}`);
  });

  test('comes from a registry package per platform, optional so that npm ci skips the other platforms', () => {
    const manifest = readJson('package.json');
    const lock = readJson('package-lock.json');
    for (const [platform, name] of Object.entries(NODE_PACKAGES)) {
      const [os, cpu] = platform.split('-');
      expect({ name, pin: manifest.optionalDependencies[name] }).toEqual({ name, pin: pinned });
      expect(manifest.dependencies[name] ?? manifest.devDependencies[name]).toBeUndefined();
      expect(lock.packages[`node_modules/${name}`]).toMatchObject({ version: pinned, optional: true, os, cpu, bin: { node: 'bin/node' } });
    }
  });

  test('is the one this suite runs on', () => {
    expect(major(process.version)).toBe(major(pinned));
    expect(runtimeMismatch(pinned)).toBeUndefined();
  });
});

describe('runtimeMismatch', () => {
  test('names the running Node.js, the wanted major and how to get it', () => {
    const message = runtimeMismatch('99.1.0');
    expect(message).toContain(`Node.js ${process.version} (${process.execPath}) runs this`);
    expect(message).toContain('deploy on Node.js 99');
    const nodePackage = NODE_PACKAGES[`${process.platform}-${process.arch}`];
    expect(message).toContain(nodePackage ? `${nodePackage}@99.1.0` : 'install Node.js 99');
  });
});
