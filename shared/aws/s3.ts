// The S3 client of a composition root that writes or reads a bucket (the truststore, the CRLs), made on first use. Kept
// apart from clients.ts so that only the functions that touch a bucket bundle the S3 SDK.
import { S3Client } from '@aws-sdk/client-s3';
import { tracedClient } from '../observability/tracing';

export class S3Clients {
  #s3: S3Client | undefined;

  get s3(): S3Client {
    // S3 endpoints other than AWS's own (moto locally) serve buckets by path, not by host name.
    this.#s3 ??= tracedClient(new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined }));
    return this.#s3;
  }

  /** Forgets the client (tests that point the SDK at another endpoint). */
  reset(): void {
    this.#s3 = undefined;
  }
}
