// Cockpit's page server (shared/cockpit/site.ts) over the real build of cockpit/web (cockpit/build.cjs) and its esbuild plugin.
import * as esbuild from 'esbuild';
import path from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { BASE_PATH_PLACEHOLDER, basePathOf, handoffSettings, renderIndexHtml, serveCockpit, type CockpitAssets, type CockpitRequest } from '../../../shared/cockpit/site';

const cockpitDir = path.resolve(__dirname, '../../../cockpit');
// Plain CommonJS loaded by node inside the serverless CLI (no TypeScript), hence require.
const { buildCockpitAssets } = require(path.join(cockpitDir, 'build.cjs')) as { buildCockpitAssets: () => CockpitAssets };
const esbuildPlugins = require(path.join(cockpitDir, 'esbuild-plugins.cjs')) as esbuild.Plugin[];

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

let assets: CockpitAssets;
beforeAll(() => {
  assets = buildCockpitAssets();
});

const page = (extra: CockpitRequest = {}) => serveCockpit({ httpMethod: 'GET', resource: '/cockpit', path: '/cockpit', ...extra }, assets);
const asset = (name: string, extra: CockpitRequest = {}) =>
  serveCockpit({ httpMethod: 'GET', resource: '/cockpit/{asset}', path: `/cockpit/${name}`, pathParameters: { asset: name }, ...extra }, assets);

/** The file names of the `<basePath>/cockpit/<name>` URLs in the HTML's src and href attributes. */
function referencedNames(html: string, basePath = ''): string[] {
  const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
  const prefix = `${basePath}/cockpit/`;
  for (const url of urls) expect(url.startsWith(prefix) && !url.slice(prefix.length).includes('/')).toBe(true);
  return urls.map((url) => url.slice(prefix.length));
}

function expectSecurityHeaders(response: APIGatewayProxyResult) {
  const headers = response.headers as Record<string, string>;
  const csp = headers['content-security-policy']!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'strict-transport-security': 'max-age=63072000; includeSubDomains',
  });
  expect(headers['content-type']).toMatch(/; charset=utf-8$/);
}

describe('GET /cockpit', () => {
  test('is the index HTML, never cached, with the security headers', () => {
    const response = page();
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(renderIndexHtml(assets.indexHtml, ''));
    expect(response.body).not.toContain(BASE_PATH_PLACEHOLDER);
    expect(response.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    expectSecurityHeaders(response);
  });

  test('carries the handoff settings (mTLS URL, server CA) as <meta> elements, attribute-escaped', () => {
    const settings = handoffSettings({ MTLS_BASE_URL: 'https://mtls.example/', MTLS_SERVER_CA: '-----BEGIN CERTIFICATE-----\nAB"<>&\n-----END CERTIFICATE-----\n' });
    expect(settings.mtlsBaseUrl).toBe('https://mtls.example');
    const html = serveCockpit({ httpMethod: 'GET', resource: '/cockpit', path: '/cockpit' }, assets, settings).body;
    expect(html).toContain('<meta name="pairing-mtls-url" content="https://mtls.example">');
    expect(html).toContain('<meta name="pairing-mtls-server-ca" content="-----BEGIN CERTIFICATE-----\nAB&quot;&lt;&gt;&amp;\n-----END CERTIFICATE-----\n">');
    expect(html.indexOf('pairing-mtls-server-ca')).toBeLessThan(html.indexOf('</head>'));
    // Without them (a publicly trusted server certificate), the elements are there and empty.
    expect(serveCockpit({ httpMethod: 'GET', resource: '/cockpit', path: '/cockpit' }, assets, handoffSettings({})).body).toContain('<meta name="pairing-mtls-server-ca" content="">');
  });

  test('the HTML is a complete page that mounts into #root', () => {
    const html = page().body;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html).toContain('<title>Cockpit · Pairing service</title>');
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<noscript>[^<]+<\/noscript>/);
    expect(html).toMatch(/<link rel="icon" [^>]*href="\/cockpit\/[^"]+\.svg"/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/cockpit\/app-[A-Za-z0-9]+\.css">/);
    expect(html).toMatch(/<script type="module" src="\/cockpit\/app-[A-Za-z0-9]+\.js"><\/script>/);
  });

  test('the HTML has no inline script, style or event handler (the CSP would block them)', () => {
    const html = assets.indexHtml;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\ssrc="/);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/="\s*javascript:/i);
    expect(html).not.toMatch(/<base\b/i);
  });

  test('/cockpit/ (trailing slash) is the same page: its files are absolute paths, so they resolve from either', () => {
    const response = page({ path: '/cockpit/', requestContext: { path: '/cockpit/' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(page().body);
    for (const name of referencedNames(response.body)) {
      expect(new URL(`/cockpit/${name}`, 'http://127.0.0.1:3000/cockpit/').pathname).toBe(`/cockpit/${name}`);
    }
  });

  test('on the execute-api host the stage (requestContext.path) goes in front of every file', () => {
    const staged = page({ requestContext: { path: '/prod/cockpit' } }).body;
    expect([...referencedNames(staged, '/prod')].sort()).toEqual(Object.keys(assets.files).sort());
    expect(referencedNames(page({ path: '/cockpit/', requestContext: { path: '/prod/cockpit/' } }).body, '/prod')).toHaveLength(
      Object.keys(assets.files).length,
    );
  });

  test.each<[string | undefined, string]>([
    [undefined, ''],
    ['/cockpit', ''],
    ['/cockpit/', ''],
    ['/prod/cockpit', '/prod'],
    ['/api/v1/cockpit/', '/api/v1'],
    ['/pro"d/cockpit', ''],
    ['/a b/cockpit', ''],
    ['//evil.example/cockpit', ''],
    ['/prod/cockpitx', ''],
    ['/prod/cockpit/app.js', ''],
  ])('requestContext.path %j gives the base path %j', (asked, base) => {
    expect(basePathOf({ requestContext: asked === undefined ? undefined : { path: asked } })).toBe(base);
  });
});

describe('GET /cockpit/<name>', () => {
  test('serves every file the HTML references, with its content type, cached for good', () => {
    const names = referencedNames(page().body);
    expect(names.length).toBeGreaterThanOrEqual(3); // favicon, stylesheet, script
    // Nothing built is left unreferenced, nothing referenced is missing.
    expect([...names].sort()).toEqual(Object.keys(assets.files).sort());
    for (const name of names) {
      const response = asset(name);
      expect({ name, status: response.statusCode }).toEqual({ name, status: 200 });
      expect(response.headers).toMatchObject({
        'content-type': CONTENT_TYPES[path.extname(name)],
        'cache-control': 'public, max-age=31536000, immutable',
      });
      expect(response.body).toBe(assets.files[name]!.body);
      expectSecurityHeaders(response);
    }
  });

  test('file names carry a hash of their content: the same sources build the same names', () => {
    for (const name of Object.keys(assets.files)) expect(name).toMatch(/^[a-z]+-[A-Za-z0-9]{8,}\.(js|css|svg)$/);
    expect(Object.keys(buildCockpitAssets().files).sort()).toEqual(Object.keys(assets.files).sort());
  });

  test('the script needs neither eval nor new Function (the CSP allows neither)', () => {
    const script = Object.entries(assets.files).find(([name]) => name.endsWith('.js'))![1].body;
    expect(script.length).toBeGreaterThan(0);
    expect(script).not.toMatch(/\beval\(|\bnew Function\(/);
  });

  test.each([
    'unknown.js',
    'app.js',
    '../functions/cockpit/handler.js',
    '..%2Fapp.js',
    '%2e%2e%2fpackage.json',
    '%252e%252e%252fx',
    '..',
    '.',
    '',
    '%',
    '%E0%A4%A',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'toString',
    'index.html',
  ])('%j is a 404 with the security headers', (name) => {
    const response = asset(name);
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    expectSecurityHeaders(response);
  });

  test('a real name with a traversal or a second segment in front is a 404', () => {
    const [name] = Object.keys(assets.files);
    expect(asset(`../${name}`).statusCode).toBe(404);
    expect(asset(`x%2F${name}`).statusCode).toBe(404);
    expect(serveCockpit({ httpMethod: 'GET', path: `/cockpit/x/${name}` }, assets).statusCode).toBe(404);
  });
});

describe('anything else', () => {
  test.each<[string, CockpitRequest]>([
    ['POST /cockpit', { httpMethod: 'POST', resource: '/cockpit', path: '/cockpit' }],
    ['HEAD /cockpit', { httpMethod: 'HEAD', resource: '/cockpit', path: '/cockpit' }],
    ['another resource', { httpMethod: 'GET', resource: '/director/graphql', path: '/director/graphql' }],
    ['no resource, another path', { httpMethod: 'GET', path: '/cockpitx' }],
    ['the asset resource without a parameter', { httpMethod: 'GET', resource: '/cockpit/{asset}', pathParameters: null }],
    ['an empty event', {}],
  ])('%s is a 404, never an exception', (_, event) => {
    const response = serveCockpit(event, assets);
    expect(response.statusCode).toBe(404);
    expectSecurityHeaders(response);
  });

  test('a malformed event is a 404 as well', () => {
    expect(serveCockpit(null as unknown as CockpitRequest, assets).statusCode).toBe(404);
    expect(serveCockpit({ httpMethod: 'GET', resource: '/cockpit/{asset}', pathParameters: { asset: 42 as unknown as string } }, assets).statusCode).toBe(404);
  });

  test('without the path parameter (no resource), the path names the file', () => {
    const [name] = Object.keys(assets.files);
    expect(serveCockpit({ httpMethod: 'GET', path: `/cockpit/${name}` }, assets).statusCode).toBe(200);
    expect(serveCockpit({ httpMethod: 'GET', path: '/cockpit' }, assets).statusCode).toBe(200);
  });
});

describe('the cockpit-assets module (cockpit/esbuild-plugins.cjs)', () => {
  test('is the built page, and watches the page sources', async () => {
    const result = await esbuild.build({
      stdin: { contents: "export { default } from 'cockpit-assets';", resolveDir: cockpitDir, loader: 'js' },
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      metafile: true,
      plugins: esbuildPlugins,
      logLevel: 'silent',
    });
    const module = { exports: {} as { default?: CockpitAssets } };
    new Function('module', 'exports', result.outputFiles[0]!.text)(module, module.exports);
    expect(module.exports.default).toEqual(assets);

    // esbuild's watch mode (and a rebuild's inputs) follow the page's sources through the plugin's answer.
    let load: ((args: { path: string; namespace: string }) => esbuild.OnLoadResult) | undefined;
    const probe = { onResolve: () => undefined, onLoad: (_: unknown, callback: typeof load) => (load = callback) };
    esbuildPlugins[0]!.setup(probe as unknown as esbuild.PluginBuild);
    const loaded = load!({ path: 'cockpit-assets', namespace: 'cockpit-assets' });
    expect(loaded.watchFiles).toEqual(expect.arrayContaining([path.join(cockpitDir, 'web', 'main.tsx'), path.join(cockpitDir, 'web', 'styles.css')]));
    expect(loaded.watchDirs).toContain(path.join(cockpitDir, 'web'));
  });

  test('leaves every other import alone', async () => {
    const result = await esbuild.build({
      stdin: { contents: "import 'cockpit-assets/x'; import './cockpit-assets';", resolveDir: cockpitDir, loader: 'js' },
      bundle: true,
      write: false,
      plugins: esbuildPlugins,
      logLevel: 'silent',
    }).catch((error: esbuild.BuildFailure) => error);
    expect((result as esbuild.BuildFailure).errors.map((e) => e.text)).toEqual([
      'Could not resolve "cockpit-assets/x"',
      'Could not resolve "./cockpit-assets"',
    ]);
  });
});
