// Test stand-ins for CloudFormation: a local HTTP server as the ResponseURL, custom resource events and a Lambda context.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';

export interface ReceivedResponse {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** Records every PUT to it; `answerNext` makes the next requests fail with the given statuses. */
export class ResponseUrlStandIn {
  readonly received: ReceivedResponse[] = [];
  readonly #statuses: number[] = [];
  readonly #server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      this.received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      response.statusCode = this.#statuses.shift() ?? 200;
      response.end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** A pre-signed-looking URL: the query string stands for the signature. */
  url(id: string): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/cfn-response/${id}?X-Amz-Signature=secret-signature-${id}`;
  }

  answerNext(...statuses: number[]): void {
    this.#statuses.push(...statuses);
  }

  /** The responses PUT to url(id). */
  responsesTo(id: string): ReceivedResponse[] {
    return this.received.filter((entry) => entry.path.startsWith(`/cfn-response/${id}?`));
  }
}

let requestCounter = 0;

export function customResourceEvent(
  responseUrl: string,
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string>,
  physicalResourceId?: string,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:pairing-service-test-bootstrap',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/pairing-service-test/0f6a5a40-0000-0000-0000-000000000000',
    RequestId: `request-${++requestCounter}`,
    LogicalResourceId: 'PairingBootstrap',
    ResourceType: 'Custom::PairingBootstrap',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:pairing-service-test-bootstrap', ...properties },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (!physicalResourceId) throw new Error(`${requestType} needs the physical resource id`);
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: physicalResourceId, OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}

/** A Lambda context with `remainingMs` left on the clock. */
export function lambdaContext(remainingMs = 120_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'pairing-service-test-bootstrap',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:pairing-service-test-bootstrap',
    memoryLimitInMB: '1769',
    awsRequestId: 'lambda-request',
    logGroupName: '/aws/lambda/pairing-service-test-bootstrap',
    logStreamName: '2026/11/28/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
