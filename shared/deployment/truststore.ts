// The mutual-TLS truststore: the pairing CA certificate as a versioned S3 object that the API Gateway custom domain trusts.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface TruststoreLocation {
  bucket: string;
  key: string;
}

export interface PublishedTruststore {
  /** s3://bucket/key, the form MutualTlsAuthentication.TruststoreUri takes. */
  uri: string;
  /** The object version: the custom domain pins it, so a new CA certificate is picked up by a stack update. */
  version: string;
}

const PEM_CERTIFICATES = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?)+$/;

/** Writes the certificate(s) as the truststore object with the composition root's S3 client and returns where API Gateway finds it. */
export async function publishTruststore(location: TruststoreLocation, certificatesPem: string, s3: Pick<S3Client, 'send'>): Promise<PublishedTruststore> {
  // The bucket is the stack's, but the object must never hold anything but public certificates.
  if (!PEM_CERTIFICATES.test(certificatesPem.trim() + '\n')) throw new Error('the truststore must be PEM certificates only');
  const out = await s3.send(
    new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: certificatesPem, ContentType: 'application/x-pem-file' }),
  );
  if (!out.VersionId) throw new Error(`bucket ${location.bucket} is not versioned: the custom domain needs the truststore's object version`);
  return { uri: `s3://${location.bucket}/${location.key}`, version: out.VersionId };
}
