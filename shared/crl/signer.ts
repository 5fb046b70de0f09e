// The CA key signing a CRL through KMS: RAW up to KMS's 4 KB, the SHA-256 digest (DIGEST) above; one Sign call either way.
import { createHash } from 'node:crypto';
import { KMS_MAX_RAW_MESSAGE_BYTES, signDigestWithKms, signWithKms } from '../aws/kms';
import { CA_SIGNING_ALGORITHM } from '../certificates/ca';
import { sha256WithRsa, type Signer } from '../certificates/x509';

export function kmsCrlSigner(keyArn: string): Signer {
  return {
    algorithmIdentifier: sha256WithRsa(),
    sign: (tbsDer) =>
      tbsDer.length <= KMS_MAX_RAW_MESSAGE_BYTES
        ? signWithKms(keyArn, tbsDer, CA_SIGNING_ALGORITHM)
        : signDigestWithKms(keyArn, createHash('sha256').update(tbsDer).digest(), CA_SIGNING_ALGORITHM),
  };
}
