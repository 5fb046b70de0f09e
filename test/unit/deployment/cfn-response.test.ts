// Pins the CloudFormation response protocol: the document's shape, and delivery with retries to a stand-in ResponseURL.
import { responseDocument, ResponseNotDeliveredError, sendResponse } from '../../../shared/deployment/cfn-response';
import { customResourceEvent, ResponseUrlStandIn } from '../../deployment/cloudformation-stand-in';

const responseUrl = new ResponseUrlStandIn();
beforeAll(() => responseUrl.start());
afterAll(() => responseUrl.stop());

const fast = { attempts: 3, backoffMs: 10, timeoutMs: 2000 };

describe('responseDocument', () => {
  const event = customResourceEvent('https://cloudformation-custom-resource-response.example/x', 'Update', { TruststoreKey: 'k' }, 'physical-1');

  test('echoes the request ids and carries status, physical id and data', () => {
    expect(responseDocument(event, { status: 'SUCCESS', physicalResourceId: 'physical-1', data: { TruststoreUri: 's3://b/k' } })).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'physical-1',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: 'PairingBootstrap',
      Data: { TruststoreUri: 's3://b/k' },
    });
  });

  test('a FAILED document always has a reason, cut so the document stays under 4 KiB', () => {
    const failed = responseDocument(event, { status: 'FAILED', physicalResourceId: 'physical-1', reason: 'x'.repeat(10_000) });
    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toHaveLength(1000);
    expect(JSON.stringify(failed).length).toBeLessThan(4096);
    expect(responseDocument(event, { status: 'FAILED', physicalResourceId: 'physical-1' }).Reason).toBe('failed');
  });
});

describe('sendResponse', () => {
  const document = responseDocument(customResourceEvent('https://example.invalid/', 'Create', {}), { status: 'SUCCESS', physicalResourceId: 'p' });

  test('PUTs the JSON document with an empty content type (the URL is pre-signed without one)', async () => {
    await sendResponse(responseUrl.url('plain'), document, fast);
    const [received] = responseUrl.responsesTo('plain');
    expect(received).toMatchObject({ method: 'PUT', body: JSON.parse(JSON.stringify(document)) });
    expect(received!.headers['content-type']).toBe('');
    expect(Number(received!.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(document)));
  });

  test('retries when the ResponseURL answers 5xx', async () => {
    responseUrl.answerNext(503, 500);
    await sendResponse(responseUrl.url('retried'), document, fast);
    expect(responseUrl.responsesTo('retried')).toHaveLength(3);
  });

  test('gives up at once on a 4xx, naming the host but not the signed query string', async () => {
    responseUrl.answerNext(403);
    const sending = sendResponse(responseUrl.url('expired'), document, fast);
    await expect(sending).rejects.toThrow(ResponseNotDeliveredError);
    await expect(sending).rejects.toThrow(/^CloudFormation response to 127\.0\.0\.1:\d+ not delivered: HTTP 403$/);
    expect(responseUrl.responsesTo('expired')).toHaveLength(1);
  });

  test('fails after the last attempt when nothing listens', async () => {
    await expect(sendResponse('http://127.0.0.1:1/cfn-response?X-Amz-Signature=s', document, { ...fast, attempts: 2 })).rejects.toThrow(
      /not delivered: .*ECONNREFUSED/,
    );
  });
});
