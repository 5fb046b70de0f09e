// Operational metrics in CloudWatch's embedded metric format (Powertools Metrics): counted during an invocation,
// written as EMF lines to the function's log when it ends (publishOperationalMetrics), so no PutMetricData call is made.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from '../config';

/**
 * The namespace of the stage (serverless.yml sets POWERTOOLS_METRICS_NAMESPACE to "PairingService/<stage>"), so that
 * two stages in one account never add up. Outside a deployment (tests, the admin CLI) a namespace of its own.
 */
const DEFAULT_METRICS_NAMESPACE = 'PairingService/unconfigured';

/** The one dimension besides `service` that a breakdown adds (never an id: each value is a metric of its own in CloudWatch). */
export interface Breakdown {
  name: string;
  /** From a fixed set; a value outside it is a bug of the caller, and is counted as OTHER rather than as itself. */
  value: string;
}

/** Dimension values are codes: upper-case letters, digits and "_", short. Anything else becomes OTHER. */
const BOUNDED_VALUE = /^[A-Z][A-Z0-9_]{0,39}$/;
const OTHER = 'OTHER';

export const boundedValue = (value: string | undefined): string => (value !== undefined && BOUNDED_VALUE.test(value) ? value : OTHER);

let metrics: Metrics | undefined;

/** One per process: a Lambda container runs one function, whose short name ("director") is the cold start's function_name. */
function metricsOfProcess(functionName: string | undefined): Metrics {
  metrics ??= new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    ...(functionName ? { functionName } : {}),
  });
  return metrics;
}

/**
 * The counts of one invocation. Each metric is written with the `service` dimension alone (the total, which the alarms
 * read: an alarm cannot add up a metric over its dimension values) and, when it has a breakdown, also with that
 * dimension added (what the dashboard shows): one EMF line for every metric without a breakdown, and one line per
 * (metric, breakdown value) that carries both dimension sets, so a breakdown costs no second line.
 */
class OperationalCounts {
  private readonly totals = new Map<string, number>();
  private readonly breakdowns = new Map<string, { metric: string; breakdown: Breakdown; count: number }>();

  add(metric: string, count: number, breakdown?: Breakdown): void {
    if (!breakdown) {
      this.totals.set(metric, (this.totals.get(metric) ?? 0) + count);
      return;
    }
    const bounded = { name: breakdown.name, value: boundedValue(breakdown.value) };
    const key = `${metric}\n${bounded.name}\n${bounded.value}`;
    const entry = this.breakdowns.get(key) ?? { metric, breakdown: bounded, count: 0 };
    entry.count += count;
    this.breakdowns.set(key, entry);
  }

  publish(target: Metrics): void {
    if (this.totals.size > 0) {
      for (const [metric, count] of this.totals) target.addMetric(metric, MetricUnit.Count, count);
      target.publishStoredMetrics();
    }
    for (const { metric, breakdown, count } of this.breakdowns.values()) {
      const single = target.singleMetric();
      single.addDimension(breakdown.name, breakdown.value);
      // A dimension set of no dimensions of its own is the default one, `service` alone: the line counts the total too.
      single.addDimensions({});
      single.addMetric(metric, MetricUnit.Count, count);
    }
    this.clear();
  }

  clear(): void {
    this.totals.clear();
    this.breakdowns.clear();
  }
}

const counts = new OperationalCounts();

/**
 * Counts `count` occurrences of `metric` in this invocation. Lambda runs one invocation per container at a time,
 * and the counts are published when it ends; concurrent requests of one local process only share a line.
 */
export function countOperation(metric: string, count = 1, breakdown?: Breakdown): void {
  counts.add(metric, count, breakdown);
}

/**
 * Writes the invocation's counts as EMF lines (nothing when nothing was counted) and, on a container's first
 * invocation, its ColdStart metric (dimensions service and function_name). Never throws: metrics must not fail a request.
 */
export function publishOperationalMetrics(functionName?: string): void {
  try {
    const target = metricsOfProcess(functionName);
    target.captureColdStartMetric();
    counts.publish(target);
  } catch {
    // A metric that cannot be written is lost; the request's answer stands, and the audit trail still has the event.
  }
}

/** Forget the process's Metrics and what was counted (tests that change the environment). */
export function resetOperationalMetrics(): void {
  metrics = undefined;
  counts.clear();
}
