// Where each CA's CRL is published: one S3 object per CA (crl/<caId>.crl) in the stack's bucket.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const CRL_CONTENT_TYPE = 'application/pkix-crl';

/** CA ids as the registry makes them (ca-<n>): nothing else names an object. */
export const isCaId = (value: string): boolean => /^ca-[1-9][0-9]{0,5}$/.test(value);

export const crlObjectKey = (caId: string): string => {
  if (!isCaId(caId)) throw new RangeError(`not a CA id: ${JSON.stringify(caId)}`);
  return `crl/${caId}.crl`;
};

export class CrlStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(caId: string, der: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: crlObjectKey(caId), Body: der, ContentType: CRL_CONTENT_TYPE }));
  }

  /** The CA's published CRL (DER), or undefined when none is. */
  async get(caId: string): Promise<Buffer | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: crlObjectKey(caId) }));
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : undefined;
    } catch (error) {
      if ((error as { name?: string } | null)?.name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
