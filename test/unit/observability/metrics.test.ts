// The operational metrics as CloudWatch reads them: EMF lines on stdout, totals with the service dimension only,
// one line per breakdown value, bounded dimension values, and the container's cold start once.
import { countOperation, publishOperationalMetrics, resetOperationalMetrics } from '../../../shared/observability/metrics';
import { withEnvironment } from '../../support/environment';

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF lines `work` writes to stdout, parsed. */
function emfLinesOf(work: () => void): Emf[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return written.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Emf).filter((line) => line._aws !== undefined);
}

/** "metric {dimension=value,...} = value" of every metric of every line, sorted. */
const summary = (lines: Emf[]) =>
  lines
    .flatMap((line) =>
      line._aws.CloudWatchMetrics.flatMap((set) =>
        set.Dimensions.flatMap((dimensions) =>
          set.Metrics.map((metric) => `${set.Namespace} ${metric.Name} {${dimensions.map((d) => `${d}=${String(line[d])}`).join(',')}} = ${JSON.stringify(line[metric.Name])} ${metric.Unit}`),
        ),
      ),
    )
    .sort();

/** As in Lambda: Powertools counts a cold start only in an on-demand container (not provisioned concurrency). */
const stage = {
  POWERTOOLS_METRICS_NAMESPACE: 'PairingService/unit', POWERTOOLS_SERVICE_NAME: 'pairing-service', POWERTOOLS_METRICS_DISABLED: undefined, POWERTOOLS_DEV: undefined,
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
};

beforeEach(() => resetOperationalMetrics());

test('one invocation writes its totals with the service dimension, each breakdown value with it, and the cold start once', async () => {
  await withEnvironment(stage, async () => {
    const first = emfLinesOf(() => {
      countOperation('OneTimeTokensRefused', 1, { name: 'Reason', value: 'SPENT' });
      countOperation('OneTimeTokensRefused', 1, { name: 'Reason', value: 'EXPIRED' });
      countOperation('OneTimeTokensRefused', 2, { name: 'Reason', value: 'SPENT' });
      countOperation('CertificatesIssued');
      publishOperationalMetrics('connector');
    });
    // CloudWatch adds up the values of a metric with the same dimensions: OneTimeTokensRefused{service} is 1 + 3.
    expect(summary(first)).toEqual([
      'PairingService/unit CertificatesIssued {service=pairing-service} = 1 Count',
      'PairingService/unit ColdStart {service=pairing-service,function_name=connector} = 1 Count',
      'PairingService/unit OneTimeTokensRefused {service=pairing-service,Reason=EXPIRED} = 1 Count',
      'PairingService/unit OneTimeTokensRefused {service=pairing-service,Reason=SPENT} = 3 Count',
      'PairingService/unit OneTimeTokensRefused {service=pairing-service} = 1 Count',
      'PairingService/unit OneTimeTokensRefused {service=pairing-service} = 3 Count',
    ]);
    // One line per breakdown value (both dimension sets in it), one for the metrics without one, one for the cold start.
    expect(first).toHaveLength(4);

    // The next invocation of the container: no cold start, and nothing of the first one is written again.
    const second = emfLinesOf(() => {
      countOperation('AccessTokensGranted');
      publishOperationalMetrics('connector');
    });
    expect(summary(second)).toEqual(['PairingService/unit AccessTokensGranted {service=pairing-service} = 1 Count']);
    expect(emfLinesOf(() => publishOperationalMetrics('connector'))).toEqual([]);
  });
});

test('a dimension value outside the fixed shape of codes is counted as OTHER, never as itself', async () => {
  await withEnvironment(stage, async () => {
    emfLinesOf(() => publishOperationalMetrics('oauth')); // the cold start
    const lines = emfLinesOf(() => {
      countOperation('ClientAuthenticationsRefused', 1, { name: 'Reason', value: 'The client certificate of 3f1c0a2e-... has been revoked' });
      countOperation('ClientAuthenticationsRefused', 1, { name: 'Reason', value: 'tenant-a' });
      publishOperationalMetrics('oauth');
    });
    expect(summary(lines)).toEqual([
      'PairingService/unit ClientAuthenticationsRefused {service=pairing-service,Reason=OTHER} = 2 Count',
      'PairingService/unit ClientAuthenticationsRefused {service=pairing-service} = 2 Count',
    ]);
    expect(lines).toHaveLength(1);
  });
});

test('without a configured namespace the metrics go to one of their own, not to a deployed stage\'s', async () => {
  await withEnvironment({ ...stage, POWERTOOLS_METRICS_NAMESPACE: undefined }, async () => {
    const lines = emfLinesOf(() => {
      countOperation('PairingsGenerated', 1, { name: 'PairingType', value: 'CLIENT_CERTIFICATE' });
      publishOperationalMetrics('director');
    });
    expect(new Set(lines.map((line) => line._aws.CloudWatchMetrics[0]!.Namespace))).toEqual(new Set(['PairingService/unconfigured']));
  });
});
