// GET /crl/<caId>.crl: the DER with its type and cache bound, 404 naming the form for anything else (no store read), 503 when the store fails.
import { serveCrl } from '../../../shared/crl/serving';
import type { CrlStore } from '../../../shared/crl/store';

function storeOf(objects: Record<string, Buffer>, fail = false) {
  const asked: string[] = [];
  const store = {
    get: async (caId: string) => {
      asked.push(caId);
      if (fail) throw new Error('S3 is down: secret internals');
      return objects[caId];
    },
  } as unknown as CrlStore;
  return { store, asked };
}

const event = (file: string | undefined) => ({ pathParameters: file === undefined ? null : { file } });

test('a published CRL: 200, application/pkix-crl, base64 for API Gateway, cacheable 30 s', async () => {
  const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
  const { store } = storeOf({ 'ca-2': der });
  const response = await serveCrl(event('ca-2.crl'), store);
  expect(response).toEqual({
    statusCode: 200,
    headers: { 'Content-Type': 'application/pkix-crl', 'Cache-Control': 'public, max-age=30' },
    body: der.toString('base64'),
    isBase64Encoded: true,
  });
});

test('an unknown CA: 404 saying so', async () => {
  const { store, asked } = storeOf({});
  const response = await serveCrl(event('ca-7.crl'), store);
  expect(response.statusCode).toBe(404);
  expect(response.body).toContain('No CRL for CA ca-7');
  expect(asked).toEqual(['ca-7']);
});

test('anything but /crl/ca-<n>.crl: 404 naming the form, without reading the store', async () => {
  const { store, asked } = storeOf({});
  for (const file of ['ca-1.pem', 'ca-1', '../ca-1.crl', 'ca-0.crl', 'CA-1.crl', 'ca-1.crl.crl', '', undefined]) {
    const response = await serveCrl(event(file), store);
    expect({ file, status: response.statusCode }).toEqual({ file, status: 404 });
    expect(response.body).toContain('the path is /crl/<CA id>.crl');
  }
  expect(asked).toEqual([]);
});

test('the store failing: 503 without its error text', async () => {
  const { store } = storeOf({}, true);
  const response = await serveCrl(event('ca-1.crl'), store);
  expect(response.statusCode).toBe(503);
  expect(response.body).not.toContain('secret internals');
});
