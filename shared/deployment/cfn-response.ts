// The CloudFormation custom resource protocol: the response document, PUT to the request's pre-signed ResponseURL.
import http from 'node:http';
import https from 'node:https';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';

export type CustomResourceStatus = 'SUCCESS' | 'FAILED';

/** What a custom resource handler decided; Data values are read with Fn::GetAtt. */
export interface CustomResourceOutcome {
  status: CustomResourceStatus;
  physicalResourceId: string;
  /** Shown in the stack events: must never carry a secret. */
  reason?: string;
  data?: Record<string, string>;
}

/** CloudFormation rejects response documents above 4,096 bytes; a long reason is the only thing that could get there. */
const MAX_REASON_LENGTH = 1000;

export function responseDocument(event: CloudFormationCustomResourceEvent, outcome: CustomResourceOutcome): CloudFormationCustomResourceResponse {
  const common = {
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: outcome.data,
  };
  if (outcome.status === 'FAILED') {
    return { ...common, Status: 'FAILED', Reason: (outcome.reason ?? 'failed').slice(0, MAX_REASON_LENGTH) };
  }
  return { ...common, Status: 'SUCCESS', Reason: outcome.reason?.slice(0, MAX_REASON_LENGTH) };
}

export interface SendOptions {
  attempts?: number;
  /** Per attempt. */
  timeoutMs?: number;
  /** Wait before retry n (1-based) is n times this. */
  backoffMs?: number;
}

/** Thrown when CloudFormation's ResponseURL did not accept the response after every attempt. */
export class ResponseNotDeliveredError extends Error {}

function putOnce(url: URL, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'http:' ? http : https;
    const request = transport.request(
      url,
      {
        method: 'PUT',
        // The URL is pre-signed without a content type: sending one (as fetch does) could break the signature.
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PUTs the response document to the ResponseURL, retrying network errors and 5xx answers, because
 * a response that never arrives leaves the stack waiting until the resource's ServiceTimeout.
 */
export async function sendResponse(responseUrl: string, document: CloudFormationCustomResourceResponse, options: SendOptions = {}): Promise<void> {
  const { attempts = 3, timeoutMs = 10_000, backoffMs = 1000 } = options;
  const url = new URL(responseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ResponseNotDeliveredError(`unsupported ResponseURL protocol ${url.protocol}`);
  const body = JSON.stringify(document);
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(backoffMs * (attempt - 1));
    try {
      const status = await putOnce(url, body, timeoutMs);
      if (status >= 200 && status < 300) return;
      lastProblem = `HTTP ${status}`;
      // A 4xx (expired or malformed pre-signed URL) will not get better by retrying.
      if (status < 500) break;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
  }
  // The URL's query string is a signature: name only the host.
  throw new ResponseNotDeliveredError(`CloudFormation response to ${url.host} not delivered: ${lastProblem}`);
}
