// End to end in a real browser (the Chromium of the @sparticuz/chromium package, or CHROMIUM_PATH, driven
// by playwright-core) against `npm start`: an administrator signs in to Cockpit, registers an
// application, pairs it both ways, hands the shown data to real clients (fetch, curl, openssl), revokes a
// certificate and a credential, unpairs and unregisters, all by clicking.
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { axeAudit } from '../support/accessibility';
import { browserExecutable } from '../support/chromium';
import { postJson } from '../support/clients';
import { startTestPairingAdapter, type TestPairingAdapter } from '../support/pairing-adapter';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, tokenGrant, type LocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

const run = promisify(execFile);
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this closed network refuses.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots of each main view, kept as test artifacts (CI can upload the folder). */
const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'cockpit');

// The tests are the steps of one administrator's session, in order: each starts where the one before ended.
describe('Cockpit in a browser (npm start)', () => {
  let stack: LocalStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /**
   * Console errors and uncaught exceptions of the page: a CSP violation shows up here. Chromium also
   * logs every HTTP error answer ("Failed to load resource"), which the tests provoke on purpose.
   */
  const pageProblems: string[] = [];
  /** Director answers the page got that refused it (4xx): none are expected on this page. */
  const directorRefusals: string[] = [];
  const appName = `cockpit-${Date.now().toString(36)}`;
  let appId = '';
  /** The OAuth client the pairing step made, for the rotation step. */
  let oauthClient = { clientId: '', clientSecret: '', tokenUrl: '' };
  /** The application side of the certificate pairing: the folder the shown commands ran in (app.key, app.pem, …). */
  let certificateFolder = '';
  /** An operator's pairing adapter outside the service (EXTERNAL_PAIRING_ADAPTERS), and the calls it got. */
  let adapter: TestPairingAdapter;

  const screenshot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const testId = (id: string) => page.getByTestId(id);
  const authRow = (id: string) => page.locator(`[data-testid="auth-row"][data-auth-id="${id}"]`);
  /** Presses Tab until the focused element matches `selector` (at most 60 times), as a keyboard user moves. */
  const tabTo = async (selector: string) => {
    for (let presses = 0; presses < 60; presses++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(`!!document.activeElement && document.activeElement.matches(${JSON.stringify(selector)})`)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  /** Back to the list and into the application again, as a user reloads what they see. */
  const openApplication = async () => {
    await page.getByRole('link', { name: 'Cockpit', exact: true }).click();
    // The row itself, not its link: a click anywhere on it opens the application.
    await page.locator(`[data-testid="app-row"][data-app-id="${appId}"]`).click();
    await page.locator(`[data-testid="application-detail"][data-app-id="${appId}"]`).waitFor();
  };
  /** Pair the open application with `type`; the shown pairing data. */
  const pairAs = async (type: string) => {
    await testId('pair-type').selectOption(type);
    await testId('pair-submit').click();
    const params = testId('pairing-params');
    await params.waitFor();
    return params;
  };
  /** The HTTP status the real curl gets for `{ viewer }` over mTLS with <name>.pem and <name>.key of the application's folder. */
  const viewerOverMtls = async (name: string) => {
    const { stdout } = await run(
      'curl',
      ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', stack.serverCaFile, '--cert', `${name}.pem`, '--key', `${name}.key`,
        '-H', 'Content-Type: application/json', '--data-binary', '{"query":"{ viewer { id type } }"}', `${stack.mtlsUrl}/director/graphql`],
      { cwd: certificateFolder },
    );
    return stdout;
  };
  const signInAsAdmin = async (target: Page = page) => {
    await target.getByLabel('Administrator client id').fill(stack.admin.clientId);
    await target.getByLabel('Client secret').fill(stack.admin.clientSecret);
    await target.getByTestId('sign-in').click();
    await target.getByTestId('page-range').waitFor();
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Pinned: the countdown's m:ss form and the two-hour clock jump below assume these lifetimes.
    adapter = await startTestPairingAdapter(() => `${stack.baseUrl}/.well-known/jwks.json`, (body) => ({
      params: { token: `vault-token-${body.requestId}`, vaultUrl: 'https://vault.example.com' },
      reference: `lease-${body.application.id}`,
    }));
    const outsideAdapters = [{
      name: 'vault', url: adapter.url, authTypes: [{
        type: 'VAULT_TOKEN', label: 'Vault token', description: 'A token of the team\'s Vault, made by the Vault pairing adapter',
        params: [{ name: 'token', label: 'Vault token' }, { name: 'vaultUrl', label: 'Vault URL' }],
        inputParams: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: { type: 'string' }, ttl: { type: 'integer', minimum: 60, maximum: 86400 }, renewable: { type: 'boolean' } } },
      }],
    }];
    stack = await startLocalStack({
      name: 'cockpit-e2e',
      env: { ONE_TIME_TOKEN_TTL_SECONDS: '300', ACCESS_TOKEN_TTL_SECONDS: '3600', EXTERNAL_PAIRING_ADAPTERS: JSON.stringify(outsideAdapters) },
    });
    const { executablePath, env } = await browserExecutable();
    browser = await chromium.launch({ executablePath, env, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.baseUrl });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
    page.on('response', (response) => {
      if (response.url().endsWith('/director/graphql') && response.status() >= 400) directorRefusals.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${stack.baseUrl}/cockpit`);
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await adapter?.close();
    if (certificateFolder) rmSync(certificateFolder, { recursive: true, force: true });
  });

  it('refuses a wrong secret with a message, and signs in with the administrator from .local/admin.json', async () => {
    await testId('client-id').fill(stack.admin.clientId);
    await testId('client-secret').fill('not-the-secret');
    await testId('sign-in').click();
    await expectText(testId('sign-in-error'), /client id or secret is wrong/);
    await screenshot('1-sign-in-refused');

    // By keyboard: the secret field, then Enter submits the form.
    await testId('client-secret').fill(stack.admin.clientSecret);
    await testId('client-secret').press('Enter');
    await testId('register-name').waitFor();
    await expectText(testId('viewer'), /Tenant default/);
  });

  it("shows the API's validation message next to the name field and registers an application", async () => {
    await testId('register-name').fill('9lives');
    await testId('register-submit').click();
    await expectText(testId('register-name-error'), /must not start with a digit/);
    expect(await testId('register-name').getAttribute('aria-invalid')).toBe('true');
    await screenshot('2-register-invalid');

    await testId('register-name').fill(appName);
    await page.getByLabel('Description').fill('Orders, registered from Cockpit');
    await page.getByLabel('Labels').fill('team=billing\nenv=test');
    await testId('register-submit').click();
    // Registering opens the new application: pairing it is the next step.
    const detail = testId('application-detail');
    await detail.waitFor();
    appId = (await detail.getAttribute('data-app-id'))!;
    expect(appId).toMatch(/^[0-9a-f-]{36}$/);
    await expectText(page.locator('h2'), new RegExp(appName));
    await expectText(testId('app-status'), /INITIAL/);
    await page.getByRole('link', { name: 'Cockpit', exact: true }).click();
    const row = page.locator('[data-testid="app-row"]', { hasText: appName });
    await row.waitFor();
    expect(await row.getAttribute('data-app-id')).toBe(appId);
    await expectText(row, /INITIAL/);
    await expect(testId('register-name-error').count()).resolves.toBe(0);

    // The same name again: the API's CONFLICT message, next to the field.
    await testId('register-name').fill(appName);
    await testId('register-submit').click();
    await expectText(testId('register-name-error'), new RegExp(`an application named ${appName} already exists`));
    await screenshot('3-applications');
  });

  it('pairs with OAuth client credentials: the shown client id and secret obtain a token at the shown token URL', async () => {
    await page.locator('[data-testid="app-row"]', { hasText: appName }).getByRole('link', { name: appName }).click();
    await expectText(testId('app-status'), /INITIAL/);
    await expectText(page.locator('.facts'), /team=billing/);

    // application:read is always granted: the form shows it checked, and it cannot be unchecked.
    await testId('pair-type').selectOption('OAUTH2_CLIENT_CREDENTIALS');
    const baseScope = testId('choice-application:read');
    expect({ checked: await baseScope.isChecked(), disabled: await baseScope.isDisabled() }).toEqual({ checked: true, disabled: true });
    expect(await testId('choice-application.auths:read').isChecked()).toBe(false);
    const params = await pairAs('OAUTH2_CLIENT_CREDENTIALS');
    const clientId = await testId('param-clientId').innerText();
    const clientSecret = await testId('param-clientSecret').innerText();
    const tokenUrl = await testId('param-tokenUrl').innerText();
    expect(tokenUrl).toBe(stack.admin.tokenUrl);
    const shown = await params.innerText();
    for (const value of [clientId, clientSecret, tokenUrl]) expect(shown).toContain(value);
    expect(shown).toMatch(/shown once/);
    await screenshot('4-pairing-client-credentials');
    // The form that had the focus is replaced by the data, which takes the focus (keyboard and screen readers).
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('pairing-params-title');

    // The copy button puts exactly the secret on the clipboard.
    const copySecret = params.getByRole('button', { name: 'Copy Client secret' });
    await copySecret.click();
    await expectText(copySecret, /^Copied$/);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(clientSecret);

    // The application side, as shown: bash reads the pasted secret, curl makes the grant and calls the shown Director URL with the token.
    expect(await testId('param-directorUrl').innerText()).toBe(stack.admin.directorUrl);
    const commands = await testId('param-commands').innerText();
    const answer = execFileSync('bash', ['-euo', 'pipefail', '-c', commands], { input: `${clientSecret}\n`, encoding: 'utf8' });
    expect(JSON.parse(answer.trim())).toEqual({ data: { viewer: { id: appId, type: 'APPLICATION' } } });
    expect(commands).not.toContain(clientSecret);

    const grant = await tokenGrant(tokenUrl, clientId, clientSecret);
    expect(grant.status).toBe(200);
    const asApplication = await postJson(stack.admin.directorUrl, { Authorization: `Bearer ${grant.body.access_token}` }, { query: '{ viewer { id type } }' });
    expect(asApplication.data.viewer).toEqual({ id: appId, type: 'APPLICATION' });

    // The page shows the credential; after the grant, the application is CONNECTED.
    await testId('pairing-done').click();
    await openApplication();
    await expectText(testId('app-status'), /CONNECTED/);
    await expectText(authRow(clientId), /ACTIVE/);
    expect(await page.locator('body').innerText()).not.toContain(clientSecret);
    oauthClient = { clientId, clientSecret, tokenUrl };
  });

  it('rotates the client secret: the new one is shown once and gets a token, the old one is revoked behind a confirmation and refused', async () => {
    const { clientId, clientSecret, tokenUrl } = oauthClient;
    const row = authRow(clientId);
    await expect(row.getByTestId('client-secret').count()).resolves.toBe(1);
    await expect(row.getByTestId('revoke-secret').count()).resolves.toBe(0);
    await row.getByTestId('rotate-secret').click();
    await testId('rotated-secret').waitFor();
    const newSecret = await testId('rotated-secret-value').innerText();
    await screenshot('4b-rotated-client-secret');
    expect((await tokenGrant(tokenUrl, clientId, newSecret)).status).toBe(200);
    expect((await tokenGrant(tokenUrl, clientId, clientSecret)).status).toBe(200);
    // Two live secrets: no third, and each can be revoked.
    await waitUntil(async () => (await row.getByTestId('client-secret').count()) === 2);
    await expect(row.getByTestId('rotate-secret').count()).resolves.toBe(0);

    await testId('rotated-done').click();
    expect(await page.locator('body').innerText()).not.toContain(newSecret);
    await row.getByRole('button', { name: 'Revoke secret initial' }).click();
    await testId('confirm').waitFor();
    await expectText(page.locator('#confirm-body'), /other secret keeps working/);
    await testId('confirm').click();
    await expectText(testId('detail-notice'), /Revoked secret initial/);
    await waitUntil(async () => (await row.getByTestId('client-secret').count()) === 1);
    expect((await tokenGrant(tokenUrl, clientId, clientSecret)).status).toBe(401);
    expect((await tokenGrant(tokenUrl, clientId, newSecret)).status).toBe(200);
    await expect(row.getByTestId('rotate-secret').count()).resolves.toBe(1);
  });

  it('pairs with a client certificate: the shown commands redeem the one-time token at the Connector and get a certificate', async () => {
    const params = await pairAs('CLIENT_CERTIFICATE');
    const token = await testId('param-token').innerText();
    const connectorURL = await testId('param-connectorURL').innerText();
    const rawEncoded = await testId('param-rawEncoded').innerText();
    expect(connectorURL).toBe(`${stack.baseUrl}/connector/graphql`);
    const decoded = JSON.parse(Buffer.from(rawEncoded, 'base64').toString('utf8'));
    expect(decoded).toMatchObject({ token, connectorURL });
    const shown = await params.innerText();
    for (const value of [token, connectorURL, rawEncoded]) expect(shown).toContain(value);
    // The handoff bundle: the Director's answer plus where the mTLS endpoint is, the CA to trust for it, the agent's
    // commands and the script, which is the one shown below it.
    const bundle = JSON.parse(await testId('param-bundle').innerText());
    const serverCa = readFileSync(stack.serverCaFile, 'utf8');
    expect(bundle).toMatchObject({
      type: 'CLIENT_CERTIFICATE',
      systemAuthID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      params: { token, connectorURL, rawEncoded },
      expiresAt: expect.any(String),
      mtlsURL: stack.mtlsUrl,
      // As a PEM file would hold it (the file itself is forge's \r\n; the page's HTML makes every line end \n).
      serverCA: `${serverCa.replace(/\r\n/g, '\n').trim()}\n`,
    });
    expect(bundle.agent).toContain('npx pairing-agent pair --dir ./my-app --server-ca mtls-server-ca.pem < pairing.json');
    expect(bundle.agent).toContain('npx pairing-agent run --dir ./my-app');
    expect(bundle.script).toBe(await testId('param-commands').innerText());
    expect(await testId('param-mtlsURL').innerText()).toBe(stack.mtlsUrl);
    expect((await testId('param-serverCA').innerText()).trim()).toBe(serverCa.replace(/\r\n/g, '\n').trim());

    // The countdown is live: it ticks down by itself.
    const first = await testId('token-countdown').innerText();
    expect(first).toMatch(/^\d+:\d\d left$/);
    await waitUntil(async () => (await testId('token-countdown').innerText()) !== first);
    await screenshot('5-pairing-client-certificate');

    // The application side, exactly as shown: bash, curl, openssl and jq in a folder of its own.
    // The folder stays for the next step, which renews and revokes this certificate (afterAll removes it).
    const commands = await testId('param-commands').innerText();
    certificateFolder = mkdtempSync(path.join(os.tmpdir(), 'cockpit-app-'));
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', commands], { cwd: certificateFolder });
    expect(stdout).toContain('app.pem: OK');
    // …and it ends with a working call over mTLS, trusting the server CA the bundle carries.
    expect(stdout.trim().split('\n').pop()).toBe(JSON.stringify({ data: { viewer: { id: appId, type: 'APPLICATION' } } }));
    const serialNumber = await serialOf(path.join(certificateFolder, 'app.pem'));

    await testId('pairing-done').click();
    await openApplication();
    await expect(page.locator('[data-testid="auth-row"][data-type="OAUTH2_CLIENT_CREDENTIALS"]').count()).resolves.toBe(1);
    const certificate = page.locator('[data-testid="certificate"]');
    await expectText(certificate, new RegExp(serialNumber, 'i'));
    expect(await certificate.getAttribute('data-revoked')).toBe('false');
    await screenshot('6-application-detail');

    // The one-time token is spent: a second use is refused.
    const reused = await postJson(connectorURL, { 'Connector-Token': token }, { query: '{ configuration { token { token } } }' });
    expect(reused.status).toBe(401);
  });

  it('revokes one certificate and the one renewed from it behind a confirmation; Escape cancels; curl is refused, the credential stays', async () => {
    // The application renews over mTLS with the certificate it got (as the README shows): a lineage of two.
    const renewal = [
      'SUBJECT=$(jq -r .data.configuration.certificateSigningRequestInfo.subject configuration.json)',
      'openssl req -new -newkey rsa:2048 -nodes -keyout app-renewed.key -out app-renewed.csr -subj "/${SUBJECT//,//}"',
      `curl -sS --cacert "$SERVER_CA" --cert app.pem --key app.key -H 'Content-Type: application/json' \\`,
      `  -d "$(jq -nc --arg csr "$(base64 < app-renewed.csr | tr -d '\\n')" '{query: "mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }", variables: {csr: $csr}}')" \\`,
      '  "$MTLS/connector/graphql" | jq -r .data.signCertificateSigningRequest.clientCertificate | base64 -d > app-renewed.pem',
      'openssl verify -CAfile ca.pem app-renewed.pem',
    ].join('\n');
    const environment = { ...process.env, MTLS: stack.mtlsUrl, SERVER_CA: stack.serverCaFile };
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', renewal], { cwd: certificateFolder, env: environment });
    expect(stdout).toContain('app-renewed.pem: OK');
    const serialNumber = await serialOf(path.join(certificateFolder, 'app.pem'));
    const renewedSerial = await serialOf(path.join(certificateFolder, 'app-renewed.pem'));
    expect(await viewerOverMtls('app')).toBe('200');
    expect(await viewerOverMtls('app-renewed')).toBe('200');

    await openApplication();
    const certificateRow = page.locator('[data-testid="auth-row"][data-type="CLIENT_CERTIFICATE"]');
    const systemAuthId = (await certificateRow.getAttribute('data-auth-id'))!;
    const certificates = certificateRow.getByTestId('certificate');
    await waitUntil(async () => (await certificates.count()) === 2);
    // The renewed one says where it came from, by the serial the first one's row shows.
    const first = certificates.filter({ hasNot: page.getByTestId('renewed-from') });
    const renewed = certificates.filter({ has: page.getByTestId('renewed-from') });
    await expectText(first, new RegExp(serialNumber, 'i'));
    await expectText(renewed, new RegExp(`${renewedSerial}.*renewed from serial 0*${serialNumber}`, 'is'));

    // Escape cancels: nothing is revoked, and the focus is back on the button.
    const revokeFirst = first.getByRole('button', { name: `Revoke certificate ${await first.getAttribute('data-serial')}` });
    await revokeFirst.click();
    // Visible, that is open: the dialog's text is in the page a moment before showModal runs.
    await testId('confirm').waitFor();
    await expectText(page.locator('#confirm-body'), /every certificate renewed from it/);
    await page.keyboard.press('Escape');
    await testId('confirm').waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement && document.activeElement.dataset.testid')).toBe('revoke-certificate');
    expect(await certificates.evaluateAll((items) => items.map((item) => item.getAttribute('data-revoked')))).toEqual(['false', 'false']);
    expect(await viewerOverMtls('app')).toBe('200');

    await revokeFirst.click();
    await testId('confirm').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, '6a-confirm-revoke-certificate.png') });
    await testId('confirm').click();
    await expectText(testId('detail-notice'), new RegExp(`Revoked 2 certificates: 0*${serialNumber} and the 1 renewed from it`, 'i'));
    await waitUntil(async () => (await certificateRow.locator('[data-testid="certificate"][data-revoked="true"]').count()) === 2);
    await expect(certificateRow.getByTestId('revoke-certificate').count()).resolves.toBe(0);
    // The button that opened the dialog is gone: the focus goes to the application's name, as after revoking a credential.
    await waitUntil(async () => (await page.evaluate('document.activeElement && document.activeElement.tagName')) === 'H2');
    await screenshot('6b-certificate-revoked');

    // Real clients: both certificates are refused over mTLS; the credential is still there, and listed.
    expect(await viewerOverMtls('app')).toBe('401');
    expect(await viewerOverMtls('app-renewed')).toBe('401');
    await expectText(authRow(systemAuthId), /ACTIVE/);
    // ACTIVE, but every certificate is revoked: the row says it cannot call, and offers pairing again.
    expect(await authRow(systemAuthId).getAttribute('data-use')).toBe('no-live-certificate');
    await expectText(authRow(systemAuthId).getByTestId('auth-liveness'), /NO LIVE CERTIFICATE/);
    // Two buttons that revoke different things say which.
    await expectText(authRow(systemAuthId).getByTestId('revoke'), /^Revoke credential$/);
    const token = await adminAccessToken(stack);
    const detail = await postJson(stack.admin.directorUrl, { Authorization: `Bearer ${token}` }, {
      query: `{ application(id: "${appId}") { auths { id status certificates { revoked } } } }`,
    });
    expect(detail.data.application.auths.find((auth: { id: string }) => auth.id === systemAuthId)).toEqual({
      id: systemAuthId,
      status: 'ACTIVE',
      certificates: [{ revoked: true }, { revoked: true }],
    });
  });

  it('revokes one credential behind a confirmation; Escape cancels without revoking', async () => {
    await openApplication();
    const oauthRow = page.locator('[data-testid="auth-row"][data-type="OAUTH2_CLIENT_CREDENTIALS"]');
    const clientId = (await oauthRow.getAttribute('data-auth-id'))!;

    await oauthRow.getByTestId('revoke').click();
    await testId('confirm').waitFor();
    await page.keyboard.press('Escape');
    await testId('confirm').waitFor({ state: 'hidden' });
    await expectText(authRow(clientId), /ACTIVE/);

    await oauthRow.getByTestId('revoke').click();
    // The viewport only: a full-page shot would show the dialog's backdrop over part of the page.
    await page.screenshot({ path: path.join(SCREENSHOTS, '7-confirm-revoke.png') });
    await testId('confirm').click();
    await expectText(testId('detail-notice'), new RegExp(`Revoked ${clientId}`));
    await waitUntil(async () => (await authRow(clientId).count()) === 0 || (await authRow(clientId).getAttribute('data-status')) === 'REVOKED');
    const token = await adminAccessToken(stack);
    const detail = await postJson(stack.admin.directorUrl, { Authorization: `Bearer ${token}` }, { query: `{ application(id: "${appId}") { auths { id status } } }` });
    expect(detail.data.application.auths.filter((auth: { id: string; status: string }) => auth.id === clientId && auth.status !== 'REVOKED')).toEqual([]);

    // Left: the certificate credential without a live certificate. CONNECTED is history: the page says nothing works now.
    await expectText(testId('app-status'), /CONNECTED/);
    await expectText(testId('app-liveness'), /none of its credentials works now/);
    await screenshot('7b-no-live-credential');
    // The next step it offers: a new one-time token, with its handoff bundle.
    const dead = page.locator('[data-testid="auth-row"][data-use="no-live-certificate"]');
    const deadId = (await dead.getAttribute('data-auth-id'))!;
    await dead.getByTestId('pair-again').click();
    await expectText(testId('pairing-params'), /Client certificate/);
    const again = JSON.parse(await testId('param-bundle').innerText());
    expect(again.systemAuthID).not.toBe(deadId);
    expect(again.params.token).toEqual(expect.any(String));
    await expectText(testId('detail-notice'), new RegExp(`then revoke ${deadId}`));
    await testId('pairing-done').click();
  });

  it('pairs with a pasted public key (PRIVATE_KEY_JWT): the shown client id and token URL get a token for an assertion signed by the private key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await testId('pair-type').selectOption('PRIVATE_KEY_JWT');
    // The textarea is labelled with the words the Director serves for the input (its type's presentation).
    await page.getByLabel("The application's public key (PEM or JWK; never the private key)").fill(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const params = await pairAs('PRIVATE_KEY_JWT');
    const clientId = await testId('param-clientId').innerText();
    const tokenUrl = await testId('param-tokenUrl').innerText();
    expect(tokenUrl).toBe(stack.admin.tokenUrl);
    expect(await params.innerText()).not.toMatch(/secret/i);
    await screenshot('7c-pairing-private-key-jwt');
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256' }).setIssuer(clientId).setSubject(clientId)
      .setAudience(tokenUrl).setIssuedAt().setExpirationTime('60s').sign(privateKey);
    const grant = await fetch(tokenUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
    });
    expect(grant.status).toBe(200);
    await testId('pairing-done').click();
    await expectText(authRow(clientId), /ACTIVE/);
  });

  it("pairs with a type of a pairing adapter outside the service: the form asks what the operator's schema names, the adapter's answer is shown, and revoking tells the adapter", async () => {
    await testId('pair-type').selectOption('VAULT_TOKEN');
    // The form's fields follow the operator's JSON Schema: a text for the string, a number field for the integer, a
    // checkbox for the boolean.
    await page.getByLabel('role', { exact: true }).fill('reader');
    await page.getByLabel('ttl', { exact: true }).fill('900');
    await page.getByLabel('renewable', { exact: true }).check();
    const params = await pairAs('VAULT_TOKEN');
    await expectText(params, /comes from the pairing adapter vault: this service does not keep it/);
    expect(adapter.calls).toEqual([{ method: 'POST', verified: true, body: expect.objectContaining({ type: 'VAULT_TOKEN', inputParams: { role: 'reader', ttl: 900, renewable: true } }) }]);
    const requestId = adapter.calls[0]!.body.requestId as string;
    expect(await testId('param-token').innerText()).toBe(`vault-token-${requestId}`);
    expect(await testId('param-vaultUrl').innerText()).toBe('https://vault.example.com');
    await screenshot('7d-pairing-outside-adapter');
    await testId('pairing-done').click();

    const row = page.locator('[data-testid="auth-row"][data-type="EXTERNAL"]');
    await expectText(row, /ACTIVE/);
    await expectText(row.getByTestId('pairing-adapter'), new RegExp(`Held by the pairing adapter vault, reference lease-${appId}`));
    // What the adapter handed out is shown once: the credential's row names the adapter, never the token.
    expect(await page.locator('body').innerText()).not.toContain(`vault-token-${requestId}`);
    const id = (await row.getAttribute('data-auth-id'))!;
    await row.getByTestId('revoke').click();
    await expectText(page.locator('#confirm-body'), /pairing adapter vault/);
    await testId('confirm').click();
    await waitUntil(async () => (await authRow(id).count()) === 0);
    await waitUntil(async () => adapter.calls.length === 2);
    expect(adapter.calls[1]).toEqual({ method: 'DELETE', verified: true, body: expect.objectContaining({ systemAuthId: id, type: 'VAULT_TOKEN', reference: `lease-${appId}` }) });
  });

  it('unpairs (every credential revoked, status INITIAL) and unregisters (back to the list, gone)', async () => {
    await testId('unpair').click();
    await testId('confirm').click();
    await expectText(testId('detail-notice'), new RegExp(`Unpaired ${appName}`));
    await expectText(testId('app-status'), /INITIAL/);
    // Revoked credentials are deleted: none is left to show, and the Director agrees.
    await waitUntil(async () => (await page.locator('[data-testid="auth-row"]').count()) === 0);
    const token = await adminAccessToken(stack);
    const detail = await postJson(stack.admin.directorUrl, { Authorization: `Bearer ${token}` }, { query: `{ application(id: "${appId}") { auths { id } } }` });
    expect(detail.data.application.auths).toEqual([]);

    await testId('unregister').click();
    await testId('confirm').click();
    await expectText(testId('notice'), new RegExp(`Unregistered ${appName}`));
    await testId('register-name').waitFor();
    await expect(page.locator(`[data-testid="app-row"][data-app-id="${appId}"]`).count()).resolves.toBe(0);
  });

  it('pages through the applications ten at a time', async () => {
    const token = await adminAccessToken(stack);
    for (let index = 0; index < 11; index++) {
      const registered = await postJson(stack.admin.directorUrl, { Authorization: `Bearer ${token}` }, {
        query: 'mutation($name: String!) { registerApplication(in: {name: $name}) { id } }',
        variables: { name: `${appName}-page-${index}` },
      });
      expect(registered.errors).toBeUndefined();
    }
    await page.reload();
    await signInAsAdmin();
    await expect(page.locator('[data-testid="app-row"]').count()).resolves.toBe(10);
    await expectText(testId('page-range'), /^1–10 of \d+$/);
    await testId('next-page').click();
    await expectText(testId('page-range'), /^11–/);
    await testId('previous-page').click();
    await expectText(testId('page-range'), /^1–10 of/);

    // On a slow network a double click on Next turns one page, and what is shown is the page that arrived.
    await page.route('**/director/graphql', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    try {
      const firstRowOfPageOne = await page.locator('[data-testid="app-row"]').first().getAttribute('data-app-id');
      await testId('next-page').click();
      await testId('next-page').click({ force: true });
      await expectText(testId('page-range'), /^11–/);
      await waitUntil(async () => !(await testId('next-page').isDisabled()) || !(await testId('previous-page').isDisabled()));
      expect(await page.locator('[data-testid="app-row"]').first().getAttribute('data-app-id')).not.toBe(firstRowOfPageOne);
      await testId('previous-page').click();
      await expectText(testId('page-range'), /^1–10 of/);
      expect(await page.locator('[data-testid="app-row"]').first().getAttribute('data-app-id')).toBe(firstRowOfPageOne);
    } finally {
      await page.unroute('**/director/graphql');
    }
  });

  it('sends the user back to sign-in with a message when the token expires or is refused', async () => {
    // The token is in memory only: a reload asks to sign in again.
    await page.reload();
    await testId('sign-in').waitFor();

    const timed = await context.newPage();
    try {
      await timed.clock.install();
      await timed.goto(`${stack.baseUrl}/cockpit`);
      await signInAsAdmin(timed);
      await timed.clock.fastForward('02:00:00');
      await expectText(timed.getByTestId('sign-in-notice'), /session has expired/);
    } finally {
      await timed.close();
    }

    // A token the Director refuses (e.g. its client was revoked) ends the session the same way.
    // (This page is opened as /cockpit/, trailing slash: the same page, its files and API calls still resolve.)
    const refused = await context.newPage();
    try {
      await refused.goto(`${stack.baseUrl}/cockpit/`);
      await signInAsAdmin(refused);
      await refused.route('**/director/graphql', (route) =>
        route.fulfill({ status: 401, contentType: 'application/json', body: '{"errors":[{"message":"expired","extensions":{"code":"UNAUTHENTICATED"}}]}' }),
      );
      // Any Director call will do: registering an application is one.
      await refused.getByTestId('register-name').fill(`${appName}-refused`);
      await refused.getByTestId('register-submit').click();
      await expectText(refused.getByTestId('sign-in-notice'), /session has expired/);
    } finally {
      await refused.close();
    }
  });

  it('can be used with the keyboard alone: register, open, pair, revoke and unregister', async () => {
    const name = `${appName}-keys`;
    // The pages the previous test opened and closed may have left this one without focus, and a page without
    // focus may not write the clipboard: the user is back on it.
    await page.bringToFront();
    await page.reload();
    await testId('client-id').focus();
    await page.keyboard.type(stack.admin.clientId);
    await tabTo('[data-testid="client-secret"]');
    await page.keyboard.type(stack.admin.clientSecret);
    await page.keyboard.press('Enter');
    await testId('page-range').waitFor();

    await tabTo('[data-testid="register-name"]');
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    // Registering opens the new application, its name focused.
    await page.getByRole('heading', { name }).waitFor();
    await waitUntil(async () => (await page.evaluate('document.activeElement && document.activeElement.tagName')) === 'H2');
    await testId('pair-type').waitFor();

    await waitUntil(async () => await testId('pair-type').isEnabled()); // once the types have loaded
    await tabTo('[data-testid="pair-type"]');
    await page.keyboard.type('Client'); // a select picks the option whose label starts with what is typed
    expect(await testId('pair-type').inputValue()).toBe('CLIENT_CERTIFICATE');
    await tabTo('[data-testid="pair-submit"]');
    await page.keyboard.press('Enter');
    await testId('param-token').waitFor();
    await tabTo('button[aria-label="Copy One-time token"]');
    await page.keyboard.press('Space');
    await expectText(page.locator('button[aria-label="Copy One-time token"]'), /^Copied$/);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(await testId('param-token').innerText());

    await tabTo('[data-testid="revoke"]');
    await page.keyboard.press('Enter');
    await testId('confirm').waitFor(); // a user tabs once the dialog shows; before that Tab moves through the page
    await tabTo('[data-testid="confirm"]'); // from Cancel, which has the focus first
    await page.keyboard.press('Enter');
    await expectText(testId('detail-notice'), /Revoked/);
    await expect(testId('pairing-params').count()).resolves.toBe(0); // its credential is gone, so is its data

    await tabTo('[data-testid="unregister"]');
    await page.keyboard.press('Enter');
    await testId('confirm').waitFor();
    await tabTo('[data-testid="confirm"]');
    await page.keyboard.press('Enter');
    await expectText(testId('notice'), new RegExp(`Unregistered ${name}`));
  });

  it('passes an axe-core accessibility audit (WCAG 2.1 A and AA) on each main view', async () => {
    // axe is injected as an inline script, which the page's CSP rightly forbids: this context alone bypasses it.
    const auditContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const audited = await auditContext.newPage();
    const audit = async (view: string) => {
      const { passed, violations } = await axeAudit(audited);
      expect({ view, violations }).toEqual({ view, violations: [] });
      // The audit looked at what matters here (it is not vacuous): labels, names of buttons, contrast.
      expect(passed).toEqual(expect.arrayContaining(['button-name', 'color-contrast']));
      if (view.startsWith('sign-in') || view.startsWith('applications')) expect(passed).toContain('label');
    };
    try {
      await audited.goto(`${stack.baseUrl}/cockpit`);
      await audited.getByTestId('sign-in').click(); // empty fields: the browser's own required-field check
      await audit('sign-in');
      await signInAsAdmin(audited);
      await audited.getByTestId('register-name').fill('Not Valid');
      await audited.getByTestId('register-submit').click();
      await audited.getByTestId('register-name-error').waitFor();
      await audit('applications, with a field error');

      const name = `${appName}-audit`;
      await audited.getByTestId('register-name').fill(name);
      await audited.getByTestId('register-submit').click();
      // Registering opens the new application.
      await audited.getByTestId('application-detail').waitFor();
      await audited.getByRole('heading', { name }).waitFor();
      await audited.getByTestId('pair-type').selectOption('CLIENT_CERTIFICATE');
      await audited.getByTestId('pair-submit').click();
      await audited.getByTestId('pairing-params').waitFor();
      await audit('application detail with pairing data');

      // The application redeems the token: the view then lists a certificate, with its own Revoke button.
      const commands = await audited.getByTestId('param-commands').innerText();
      const folder = mkdtempSync(path.join(os.tmpdir(), 'cockpit-audit-'));
      try {
        await run('bash', ['-euo', 'pipefail', '-c', commands], { cwd: folder });
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
      await audited.getByTestId('pairing-done').click();
      await audited.getByRole('link', { name: 'Cockpit', exact: true }).click();
      await audited.locator('[data-testid="app-row"]', { hasText: name }).getByRole('link').click();
      await audited.getByTestId('revoke-certificate').waitFor();
      await audit('application detail with a certificate');
      await audited.getByTestId('revoke-certificate').click();
      await audited.getByTestId('confirm').waitFor();
      await audit('confirmation dialog of a certificate');
      await audited.keyboard.press('Escape');
      await audited.getByTestId('confirm').waitFor({ state: 'hidden' });

      await audited.getByTestId('revoke').first().click();
      await audited.getByTestId('confirm').waitFor();
      await audit('confirmation dialog');
    } finally {
      await auditContext.close();
    }
  });

  it('ran without a console error, a Content-Security-Policy violation or a refused Director request', () => {
    expect(pageProblems).toEqual([]);
    expect(directorRefusals).toEqual([]);
  });
});

/** The serial number of a PEM certificate as the page shows it (lower-case hex, no leading zeros), read by openssl. */
async function serialOf(certFile: string): Promise<string> {
  const { stdout } = await run('openssl', ['x509', '-in', certFile, '-noout', '-serial']);
  return stdout.trim().replace(/^serial=/, '').toLowerCase().replace(/^0+/, '');
}

/** Waits (up to 10 s) until `condition` holds. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits (up to 10 s) until the element's text matches. */
async function expectText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  let text = '';
  let failure = '';
  while (Date.now() < deadline) {
    text = (
      await locator
        .first()
        .innerText({ timeout: 10_000 })
        .catch((error: Error) => ((failure = error.message.split('\n')[0]!), ''))
    ).trim();
    if (pattern.test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected text matching ${pattern}, got "${text}"${failure ? ` (last: ${failure})` : ''}`);
}
