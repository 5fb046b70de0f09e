// shared/aws/kms.ts key lifecycle against moto's KMS: a key's policy (for a successor key) and scheduled deletion.
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { KMS_MIN_DELETION_DAYS } from '../../../shared/aws/kms';
import { aws, kmsAdmin } from '../../../functions/container';

const stateOf = async (keyArn: string) => (await aws.kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!;

describe('KMS key lifecycle', () => {
  it('gives a key\'s policy, which a new key can be created with', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Administration', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:GetKeyPolicy', Resource: '*' }],
    });
    const first = await kmsAdmin.createSigningKey({ keySpec: 'ECC_NIST_P256', description: 'policy test', policy });
    expect(JSON.parse(await kmsAdmin.keyPolicy(first.keyArn))).toEqual(JSON.parse(policy));
    const successor = await kmsAdmin.createSigningKey({ keySpec: 'ECC_NIST_P256', description: 'successor', policy: await kmsAdmin.keyPolicy(first.keyArn) });
    expect(JSON.parse(await kmsAdmin.keyPolicy(successor.keyArn))).toEqual(JSON.parse(policy));
  });

  it('schedules a key (named by its ARN) for deletion after the minimum of 7 days', async () => {
    const key = await kmsAdmin.createSigningKey({ keySpec: 'ECC_NIST_P256', description: 'deletion test' });
    const before = Date.now();
    const scheduled = await kmsAdmin.scheduleDeletion(key.keyArn);
    expect(scheduled.alreadyPending).toBe(false);
    expect(scheduled.deletionDate!.getTime()).toBeGreaterThanOrEqual(before + (KMS_MIN_DELETION_DAYS * 24 - 1) * 3600 * 1000);
    expect(await stateOf(key.keyArn)).toMatchObject({ KeyState: 'PendingDeletion' });
  });

  it('refuses a waiting period KMS would refuse, before calling it', async () => {
    for (const days of [6, 31, 7.5]) {
      await expect(kmsAdmin.scheduleDeletion('arn:aws:kms:eu-central-1:123456789012:key/none', days)).rejects.toThrow(`KMS key deletion waits 7 to 30 days, not ${days}`);
    }
  });
});
