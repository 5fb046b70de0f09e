// axe-core in a Cockpit page: the WCAG 2.1 A and AA rules it passed and its violations. The page's context must bypass
// the CSP (axe is injected as an inline script, which the page rightly forbids).
import type { Page } from 'playwright-core';

export interface AxeResult {
  passed: string[];
  violations: unknown[];
}

export async function axeAudit(page: Page): Promise<AxeResult> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((result) => ({
       passed: result.passes.map((rule) => rule.id),
       violations: result.violations.map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })),
     }))`,
  )) as AxeResult;
}
