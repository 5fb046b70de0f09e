// The S3 client of a composition root that writes or reads a bucket (the CRLs), made on first use and bounded in time
// like every AWS call. Kept apart from clients.ts so that only the functions that touch a bucket bundle the S3 SDK.
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCallLimits } from '../config';
import { tracedClient } from '../observability/tracing';
import { boundedCalls } from './clients';

export class S3Clients {
  #s3: S3Client | undefined;

  /** `limits` is read when the client is made, as AwsClients does. */
  constructor(private readonly limits: () => AwsCallLimits) {}

  get s3(): S3Client {
    // S3 endpoints other than AWS's own (moto locally) serve buckets by path, not by host name.
    this.#s3 ??= tracedClient(new S3Client({ ...boundedCalls(this.limits()), forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined }));
    return this.#s3;
  }

  /** Forgets the client (tests that point the SDK at another endpoint). */
  reset(): void {
    this.#s3 = undefined;
  }
}
