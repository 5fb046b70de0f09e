// Tracing: off unless the deployment turns it on (then the Tracer package is not even loaded), and an observed
// handler annotates its subsegment with the operation and outcome only, and writes its metrics, however it ends.
import { withEnvironment } from '../../support/environment';

const OFF_LOCALLY = [
  { POWERTOOLS_TRACE_ENABLED: undefined, IS_OFFLINE: undefined },
  { POWERTOOLS_TRACE_ENABLED: 'false', IS_OFFLINE: undefined },
  // serverless-offline (npm start): no X-Ray daemon, whatever the variable says.
  { POWERTOOLS_TRACE_ENABLED: 'true', IS_OFFLINE: 'true' },
];

afterEach(() => {
  for (const name of ['@aws-lambda-powertools/tracer', '../../../shared/observability/tracing', '../../../shared/observability/metrics']) jest.dontMock(name);
});

test.each(OFF_LOCALLY)('tracing is off and the Tracer package is never loaded with %o', async (environment) => {
  await withEnvironment(environment, async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-lambda-powertools/tracer', () => {
        throw new Error('the Tracer package was loaded');
      });
      const tracing = await import('../../../shared/observability/tracing');
      expect(tracing.tracingEnabled()).toBe(false);
      expect(tracing.processTracer()).toBeNull();
      const client = { send: () => undefined };
      expect(tracing.tracedClient(client)).toBe(client);
    });
  });
});

test('with POWERTOOLS_TRACE_ENABLED=true outside Lambda the Tracer loads and stays disabled, and clients work unchanged', async () => {
  await withEnvironment({ POWERTOOLS_TRACE_ENABLED: 'true', IS_OFFLINE: undefined, AWS_EXECUTION_ENV: undefined }, async () => {
    await jest.isolateModulesAsync(async () => {
      const tracing = await import('../../../shared/observability/tracing');
      const tracer = tracing.processTracer();
      expect(tracer).not.toBeNull();
      expect(tracer!.isTracingEnabled()).toBe(false);
      // Only the AWS SDK clients are traced (tracedClient), not Node's http a second time.
      expect((tracer as unknown as { captureHTTPsRequests: boolean }).captureHTTPsRequests).toBe(false);
      const client = { send: () => undefined, middlewareStack: { add: jest.fn() } };
      expect(tracing.tracedClient(client)).toBe(client);
    });
  });
});

/** A stand-in Tracer whose segments record what is put on them. */
function recordingTracer() {
  const subsegment = { name: '', annotations: {} as Record<string, unknown>, closed: false, addAnnotation(key: string, value: unknown) { this.annotations[key] = value; }, close() { this.closed = true; } };
  const facade = { addNewSubsegment: (name: string) => Object.assign(subsegment, { name }) };
  let current: unknown = facade;
  const tracer = {
    getSegment: () => current,
    setSegment: (segment: unknown) => void (current = segment),
    annotateColdStart: () => subsegment.addAnnotation('ColdStart', true),
    addServiceNameAnnotation: () => subsegment.addAnnotation('Service', 'pairing-service'),
  };
  return { tracer, subsegment, facade, current: () => current };
}

describe('observedHandler', () => {
  async function observed(work: (invocation: typeof import('../../../shared/observability/invocation')) => Promise<unknown>) {
    const recording = recordingTracer();
    const published = jest.fn();
    let outcome: unknown;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../../shared/observability/tracing', () => ({ processTracer: () => recording.tracer }));
      jest.doMock('../../../shared/observability/metrics', () => ({ ...jest.requireActual('../../../shared/observability/metrics'), publishOperationalMetrics: published }));
      const invocation = await import('../../../shared/observability/invocation');
      outcome = await work(invocation).catch((error: unknown) => error);
    });
    return { ...recording, published, outcome };
  }

  it('annotates its subsegment with the noted operation and outcome, closes it and restores the parent', async () => {
    const run = await observed(async ({ observedHandler, noteOperation, noteOutcome }) =>
      observedHandler('director', async (_event: unknown) => {
        noteOperation('mutation generateAuthForApplication');
        noteOutcome('BAD_USER_INPUT');
        return 'answer';
      })({}),
    );
    expect(run.outcome).toBe('answer');
    expect(run.subsegment).toMatchObject({
      name: '## director', closed: true,
      annotations: { ColdStart: true, Service: 'pairing-service', operation: 'mutation generateAuthForApplication', outcome: 'BAD_USER_INPUT' },
    });
    expect(run.current()).toBe(run.facade);
    expect(run.published).toHaveBeenCalledWith('director');
  });

  it('a thrown error is outcome INTERNAL, rethrown, and the metrics are still written', async () => {
    const run = await observed(async ({ observedHandler }) =>
      observedHandler('tokens', async () => {
        throw new Error('secret detail 4f1c');
      })(),
    );
    expect((run.outcome as Error).message).toBe('secret detail 4f1c');
    expect(run.subsegment.annotations).toMatchObject({ operation: 'tokens', outcome: 'INTERNAL' });
    // Annotations are searchable in X-Ray: nothing but the two codes and Powertools' own two.
    expect(Object.keys(run.subsegment.annotations).sort()).toEqual(['ColdStart', 'Service', 'operation', 'outcome']);
    expect(run.published).toHaveBeenCalledWith('tokens');
  });

  it('an outcome that is not a code (free text) is annotated as OTHER', async () => {
    const run = await observed(async ({ observedHandler, noteOutcome }) => observedHandler('oauth', async () => noteOutcome('client abc-123 refused'))());
    expect(run.subsegment.annotations.outcome).toBe('OTHER');
  });
});
