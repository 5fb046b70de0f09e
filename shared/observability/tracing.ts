// AWS X-Ray tracing (Powertools Tracer), loaded only where tracing is on: the Tracer pulls in aws-xray-sdk-core, and a
// function with tracing off (the local stack, tests, the admin CLI) should neither load nor pay for it at cold start.
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../config';

/** What a trace may be annotated with: an operation name and an outcome code. Never an id, a token or a secret. */
export interface TraceAnnotations {
  /** e.g. "mutation generateAuthForApplication", "token", "issueOneTimeToken". */
  operation: string;
  /** SUCCESS, or the client-visible error code (UNAUTHENTICATED, BAD_USER_INPUT, ..., INTERNAL). */
  outcome: string;
}

/**
 * On only where the deployment says so: serverless.yml sets POWERTOOLS_TRACE_ENABLED to "true" on deployed stages
 * and "false" on the local ones; unset (tests, the admin CLI) is off. serverless-offline marks its processes with
 * IS_OFFLINE, where no X-Ray daemon listens.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.POWERTOOLS_TRACE_ENABLED === 'true' && !env.IS_OFFLINE;
}

let tracer: Tracer | null | undefined;

/** The process's Tracer, or null when tracing is off (then the tracer package is never loaded). */
export function processTracer(): Tracer | null {
  if (tracer !== undefined) return tracer;
  if (!tracingEnabled()) return (tracer = null);
  // A require, not an import: esbuild keeps the package in the bundle but runs its module code only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  // Every outbound call of the service is an AWS SDK call, traced by tracedClient; patching Node's http and fetch as
  // well would trace each of them a second time.
  tracer = new TracerClass({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME, captureHTTPsRequests: false });
  return tracer;
}

/** An AWS SDK v3 client whose calls become X-Ray subsegments when tracing is on; the client unchanged otherwise. */
export function tracedClient<T>(client: T): T {
  const active = processTracer();
  return active ? active.captureAWSv3Client(client) : client;
}
