// shared/aws/kms.ts against moto's KMS: the keys sign, and what they sign verifies with their public key.
import { verify } from 'node:crypto';
import { KMS_MAX_RAW_MESSAGE_BYTES } from '../../../shared/aws/kms';
import { kms, kmsAdmin } from '../../../functions/container';

describe('KMS signing keys', () => {
  const message = Buffer.from('the bytes to be signed');

  it('signs with an RSA key (PKCS#1 v1.5, SHA-256) what its public key verifies', async () => {
    const key = await kmsAdmin.createSigningKey({ keySpec: 'RSA_2048', description: 'test RSA key' });
    expect(key.keyArn).toMatch(/^arn:aws:kms:/);
    expect(key.publicKey.asymmetricKeyType).toBe('rsa');
    const signature = await kms.sign(key.keyArn, message, 'RSASSA_PKCS1_V1_5_SHA_256');
    expect(verify('sha256', message, key.publicKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('other bytes'), key.publicKey, signature)).toBe(false);
  });

  it('signs with a P-256 key (DER ECDSA signature) and gives the same public key again', async () => {
    const key = await kmsAdmin.createSigningKey({ keySpec: 'ECC_NIST_P256', description: 'test EC key', tags: { purpose: 'test' } });
    const signature = await kms.sign(key.keyArn, message, 'ECDSA_SHA_256');
    expect(signature[0]).toBe(0x30);
    expect(verify('sha256', message, key.publicKey, signature)).toBe(true);
    const again = await kms.publicKey(key.keyArn);
    expect(again.export({ type: 'spki', format: 'der' })).toEqual(key.publicKey.export({ type: 'spki', format: 'der' }));
  });

  it('refuses a message KMS would not sign as RAW before calling it', async () => {
    await expect(kms.sign('arn:aws:kms:eu-central-1:123456789012:key/none', Buffer.alloc(KMS_MAX_RAW_MESSAGE_BYTES + 1), 'ECDSA_SHA_256'))
      .rejects.toThrow(RangeError);
  });
});
