// Cockpit's audit trail in a real browser against `npm start`: the tenant's Activity view (newest first, paging, the
// outcome filter, refused events marked) and the Activity section of an application's page.
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { axeAudit } from '../support/accessibility';
import { browserExecutable } from '../support/chromium';
import { postJson } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, tokenGrant, type LocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Waits until the locator's text matches (the page loads asynchronously). */
async function expectText(locator: Locator, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await locator.first().innerText({ timeout: 10_000 }).catch(() => '');
    if (pattern.test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${pattern} in ${JSON.stringify(text)}`);
}

describe('Cockpit activity in a browser (npm start)', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  const pageProblems: string[] = [];
  let appId = '';
  let clientId = '';
  let appName = '';
  let certificateAppName = '';

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'cockpit-activity-e2e' });
    // Events through the real HTTP endpoints: 22 registrations (more than a page), an OAuth pairing, 3 wrong secrets.
    const token = await adminAccessToken(stack);
    const director = (query: string, variables: Record<string, unknown> = {}) =>
      postJson(stack.admin.directorUrl, { Authorization: `Bearer ${token}` }, { query, variables });
    const stamp = Date.now().toString(36);
    for (let i = 0; i < 22; i++) await director(`mutation { registerApplication(in: {name: "activity-${stamp}-${i}"}) { id } }`);
    // A certificate pairing whose configuration spends the pairing token and issues the CSR token, and a CSR with the
    // wrong subject, refused with a long reason (the subject it must have).
    certificateAppName = `certified-${stamp}`;
    const certificateApp = await director(`mutation { registerApplication(in: {name: "${certificateAppName}"}) { id } }`);
    const certificatePairing = await director('mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "CLIENT_CERTIFICATE"}, inputParams: {}) { params } }', {
      id: certificateApp.data.registerApplication.id,
    });
    const { token: pairingToken, connectorURL } = certificatePairing.data.generateAuthForApplication.params;
    const configuration = await postJson(connectorURL, { 'Connector-Token': pairingToken }, { query: '{ configuration { token { token } } }' });
    const csr = execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=wrong-subject'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const refusedCsr = await postJson(connectorURL, { 'Connector-Token': configuration.data.configuration.token.token }, {
      query: 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate } }',
      variables: { csr: Buffer.from(csr).toString('base64') },
    });
    expect(refusedCsr.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    appName = `audited-${stamp}`;
    const registered = await director(`mutation { registerApplication(in: {name: "${appName}"}) { id } }`);
    appId = registered.data.registerApplication.id;
    const paired = await director('mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }', { id: appId });
    clientId = paired.data.generateAuthForApplication.params.clientId;
    for (let i = 0; i < 3; i++) expect((await tokenGrant(stack.admin.tokenUrl, clientId, 'not-the-secret')).status).toBe(401);

    const { executablePath, env } = await browserExecutable();
    browser = await chromium.launch({ executablePath, env, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
    await page.goto(`${stack.baseUrl}/cockpit`);
    await page.getByTestId('client-id').fill(stack.admin.clientId);
    await page.getByTestId('client-secret').fill(stack.admin.clientSecret);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('page-range').waitFor();
  }, START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the tenant\'s activity newest first, twenty a page, with refused events marked', async () => {
    await page.getByTestId('nav-activity').click();
    await page.getByTestId('activity').waitFor();
    await expectText(page.getByTestId('audit-range'), /^1–20 of \d+$/);
    // How a line's count is made, said where the counts are shown.
    await expectText(page.locator('[data-testid="activity"] .lead'), /repeats a line with their count each time the minute's total doubles/);
    const rows = page.getByTestId('audit-row');
    expect(await rows.count()).toBe(20);
    // Newest first: this sign-in's grant, then the wrong secrets' refusal (the first recorded at once, the repeats
    // when their minute ends), marked as refused with the reason; then the pairing.
    expect(await rows.first().getAttribute('data-action')).toBe('ACCESS_TOKEN_GRANTED');
    const refused = page.locator('[data-testid="audit-row"][data-outcome="REFUSED"]').first();
    expect(await refused.getAttribute('class')).toContain('refused');
    await expectText(refused, /Client authentication refused/);
    await expectText(refused, /REFUSED/);
    await expectText(refused, /wrong secret/);
    // Names, not ids: the credential by its type and application; the ids are on hover.
    await expectText(refused, new RegExp(`claimed OAuth client of ${appName}`));
    expect(await refused.locator('td').nth(1).getAttribute('title')).toBe(clientId);
    const successes = page.locator('[data-testid="audit-row"][data-outcome="SUCCESS"]').first();
    expect(await successes.getAttribute('class')).toBeNull();
    const pairingRow = page.locator('[data-testid="audit-row"][data-action="PAIRING_DATA_GENERATED"]').first();
    await expectText(pairingRow, new RegExp(`administrator .*Pairing data generated.*SUCCESS.*OAuth client of ${appName}`, 's'));
    expect(await pairingRow.locator('td').nth(4).getAttribute('title')).toMatch(new RegExp(`^application ${appId}\ncredential ${clientId}$`));
    // The certificate pairing's two one-time tokens read apart.
    await expectText(page.locator('[data-testid="audit-row"][data-action="ONE_TIME_TOKEN_REDEEMED"]'), new RegExp(`One-time token redeemed \\(pairing token\\).*client certificate of ${certificateAppName}`, 's'));
    const tokenActions = await page.locator('[data-testid="audit-row"][data-action^="ONE_TIME_TOKEN_"] td:nth-child(3)').allInnerTexts();
    expect(tokenActions).toEqual(['One-time token issued (CSR token)', 'One-time token redeemed (pairing token)', 'One-time token issued (pairing token)']);
    // The CSR refusal's long reason wraps inside its cell: at 1,280 px neither the page nor the table scrolls sideways.
    await expectText(page.locator('[data-testid="audit-row"][data-action="CSR_REFUSED"]'), /the subject must be exactly/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    const table = await page.getByTestId('activity').locator('.table-scroll').evaluate((element) => ({ scrollWidth: element.scrollWidth, clientWidth: element.clientWidth }));
    expect(table.scrollWidth).toBeLessThanOrEqual(table.clientWidth);
    await page.screenshot({ path: 'test-results/cockpit/activity-names.png', fullPage: true }).catch(() => undefined);

    const [total] = (await page.getByTestId('audit-range').innerText()).match(/\d+$/)!;
    await page.getByTestId('audit-next').click();
    await expectText(page.getByTestId('audit-range'), new RegExp(`^21–${Math.min(40, Number(total))} of ${total}$`));
    await expectText(page.locator('[data-testid="audit-row"][data-action="APPLICATION_REGISTERED"]'), /Application registered/);
    await page.getByTestId('audit-previous').click();
    await expectText(page.getByTestId('audit-range'), /^1–20 of /);
  });

  it('filters by outcome: only the refused events', async () => {
    await page.getByTestId('audit-outcome').selectOption('REFUSED');
    await expectText(page.getByTestId('audit-range'), /^1–\d of \d$/);
    const outcomes = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-outcome')));
    expect(outcomes.length).toBeGreaterThan(0);
    expect(new Set(outcomes)).toEqual(new Set(['REFUSED']));
    await page.getByTestId('audit-outcome').selectOption('FAILED');
    await expectText(page.getByTestId('audit-empty'), /No events with outcome FAILED/);
    await page.getByTestId('audit-outcome').selectOption('');
    await expectText(page.getByTestId('audit-range'), /^1–20 of /);
  });

  it("shows an application's own events on its page, and what the page just did", async () => {
    await page.getByTestId('nav-applications').click();
    // The newest application, on the list's first page.
    await page.locator(`[data-testid="app-row"][data-app-id="${appId}"]`).click();
    const section = page.getByTestId('application-activity');
    await expectText(section.getByTestId('audit-range'), /^1–\d+ of \d+$/);
    const actions = await section.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    expect(actions.slice(-3)).toEqual(['CLIENT_CREDENTIALS_ISSUED', 'PAIRING_DATA_GENERATED', 'APPLICATION_REGISTERED']);
    expect(actions).toContain('CLIENT_AUTHENTICATION_REFUSED');

    // Unpair from the page: its event appears in the section without a reload.
    await page.getByTestId('unpair').click();
    await page.getByTestId('confirm').click();
    await expectText(section.locator('[data-testid="audit-row"]').first(), /Application unpaired/);
    await page.screenshot({ path: 'test-results/cockpit/activity-application.png', fullPage: true }).catch(() => undefined);
    expect(pageProblems).toEqual([]);
  });

  it('passes an axe-core accessibility audit (WCAG 2.1 A and AA) on the Activity view, refused rows included', async () => {
    // axe is injected as an inline script, which the page's CSP rightly forbids: this context alone bypasses it.
    const auditContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    try {
      const audited = await auditContext.newPage();
      await audited.goto(`${stack.baseUrl}/cockpit`);
      await audited.getByTestId('client-id').fill(stack.admin.clientId);
      await audited.getByTestId('client-secret').fill(stack.admin.clientSecret);
      await audited.getByTestId('sign-in').click();
      await audited.getByTestId('nav-activity').click();
      await audited.locator('[data-testid="audit-row"][data-outcome="REFUSED"]').first().waitFor();
      const { passed, violations } = await axeAudit(audited);
      expect(violations).toEqual([]);
      // Not vacuous: it judged the buttons, the contrast of the refused rows and the outcome select's label.
      expect(passed).toEqual(expect.arrayContaining(['button-name', 'color-contrast', 'select-name']));
    } finally {
      await auditContext.close();
    }
  });
});
