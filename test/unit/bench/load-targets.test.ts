// The load bench's verdicts on issue 27's targets and its CPU accounting, from given figures (no stack runs here).
import { checkTargets, renewalsPerSignTarget, throughputCeiling, type LoadFigures } from '../../../bench/mtls-load';
import { cpuMsOfStat, cpuSplit, machineCpuMs, OTHER_STACK_PART, partOf, type CpuSnapshot } from '../../../bench/process-cpu';

const figures = (perSecond: number, p50: number, p99: number): LoadFigures => ({ perSecond, p50, p99, failed: 0, requests: perSecond * 5 });
const verdicts = (checks: ReturnType<typeof checkTargets>) => Object.fromEntries(checks.map((c) => [c.target, c.met]));

describe("the load bench's targets", () => {
  test('all met: 8 clients at 90% of the ceiling, tails within 4x, the read within 3 ms', () => {
    expect(Object.values(verdicts(checkTargets('mTLS Director read', figures(300, 2.5, 6), figures(460, 15, 50), { signP50Ms: 0, ceilingPerSecond: 500 })))).toEqual([true, true, true, true]);
  });

  test('each target fails on its own figure', () => {
    const checks = verdicts(checkTargets('mTLS Director read', figures(300, 3.5, 15), figures(440, 15, 61), { signP50Ms: 0, ceilingPerSecond: 500 }));
    expect(checks).toEqual({
      '8 clients >= 90% of the ceiling (500/s)': false,
      'p99 <= 4x p50 with 1 client(s)': false,
      'p99 <= 4x p50 with 8 client(s)': false,
      '1-client p50 <= 3 ms': false,
    });
  });

  test("renewal's latency budget is 10 ms plus the Sign round trip measured in the same run", () => {
    const within = checkTargets('renewal', figures(50, 19, 40), figures(100, 60, 200), { signP50Ms: 9, ceilingPerSecond: 100 });
    expect(within.at(-1)).toEqual({ target: '1-client p50 <= 10 ms + Sign 9.0 ms', figure: '19.0 ms', met: true });
    expect(checkTargets('renewal', figures(50, 19.5, 40), figures(100, 60, 200), { signP50Ms: 9, ceilingPerSecond: 100 }).at(-1)?.met).toBe(false);
  });

  test('renewals through the stack against bare KMS Sign calls, both at 8: at least half', () => {
    expect(renewalsPerSignTarget(211, 422)).toEqual({ target: 'renewals at 8 clients >= 0.5x bare KMS Sign calls at 8', figure: '211.0/s against 422.0/s, 0.50x', met: true });
    expect(renewalsPerSignTarget(101, 422).met).toBe(false);
  });

  test('the ceiling: free cores over CPU per request', () => {
    expect(throughputCeiling(16, 2)).toBe(125);
    expect(throughputCeiling(20, 1)).toBe(50);
  });
});

describe("the load bench's CPU accounting", () => {
  test('reads utime and stime of a /proc/<pid>/stat line whose command holds spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 123 0 0';
    expect(cpuMsOfStat(stat)).toBe(3250);
  });

  test("reads the machine's busy and total time from /proc/stat", () => {
    expect(machineCpuMs('cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\n')).toEqual({ busy: 1600, total: 9800 });
  });

  test('names the parts of the stack by their command lines', () => {
    expect(partOf('/usr/bin/node --import tsx /work/x/local/start.ts')).toBe('mTLS endpoint (local/start.ts)');
    expect(partOf('java -XX:TieredStopAtLevel=1 -jar DynamoDBLocal.jar')).toBe('DynamoDB Local (Java)');
    expect(partOf('/usr/bin/node /work/x/local/private-network-relay.cjs 4000 java -jar DynamoDBLocal.jar')).toBe("DynamoDB Local's loopback relay");
    expect(partOf('/usr/bin/python moto_server -H 127.0.0.1')).toBe('moto (KMS, Secrets Manager)');
    expect(partOf('/x/esbuild --service=0.28.2 --ping')).toBe(OTHER_STACK_PART);
  });

  test('splits the CPU of a run per request and counts what the stack and the bench did not spend as other work', () => {
    const snapshot = (java: number, gateway: number, bench: number, busy: number): CpuSnapshot => ({
      byPid: new Map([
        [10, { part: 'DynamoDB Local (Java)', cpuMs: java }],
        [11, { part: 'mTLS endpoint (local/start.ts)', cpuMs: gateway }],
      ]),
      benchMs: bench,
      machine: { busy, total: 0 },
    });
    const split = cpuSplit(snapshot(1000, 500, 200, 10_000), snapshot(1400, 600, 300, 12_600), 100, 2000, 2);
    expect(split.stack).toEqual([
      { part: 'DynamoDB Local (Java)', msPerRequest: 4 },
      { part: 'mTLS endpoint (local/start.ts)', msPerRequest: 1 },
    ]);
    expect(split.stackMsPerRequest).toBe(5);
    expect(split.clientsMsPerRequest).toBe(1);
    // 2600 ms busy, 500 of the stack, 100 of the bench: 2000 ms of other work in 2 s is one core.
    expect(split.elsewhereCores).toBe(1);
  });
});
