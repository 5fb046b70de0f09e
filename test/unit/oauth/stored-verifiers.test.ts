// StoredSecretVerifiers with a stand-in MAC: one MAC per presented secret and minute, always both slots compared, long secrets never MACed.
import { createHmac } from 'node:crypto';
import { StoredSecretVerifiers } from '../../../shared/oauth/stored-verifiers';

const KEY = Buffer.alloc(32, 7);

function setUp() {
  let now = 1_000_000;
  const macs: string[] = [];
  const comparisons: number[] = [];
  const verifiers = new StoredSecretVerifiers(
    async (message) => {
      macs.push(message.toString('utf8'));
      return createHmac('sha256', KEY).update(message).digest();
    },
    () => now,
    (a, b) => {
      comparisons.push(1);
      return a.equals(b);
    },
  );
  return { verifiers, macs, comparisons, advance: (ms: number) => (now += ms) };
}

const CLIENT = '6f1f7a52-8a1e-4a4e-9a57-0d9d1c0f3a11';

describe('StoredSecretVerifiers', () => {
  it('binds the verifier to the client: the same secret of another client gets another verifier', async () => {
    const { verifiers } = setUp();
    const mine = await verifiers.verifierOf(CLIENT, 'secret');
    const theirs = await verifiers.verifierOf('0b0e6a8e-1111-4a4e-9a57-0d9d1c0f3a11', 'secret');
    expect(mine.equals(theirs)).toBe(false);
  });

  it('finds the matching slot, always comparing both slots, also when the client has one secret or none matches', async () => {
    const { verifiers, comparisons } = setUp();
    const first = await verifiers.verifierOf(CLIENT, 'first');
    const second = await verifiers.verifierOf(CLIENT, 'second');
    await expect(verifiers.matchingSecret(CLIENT, 'second', [{ id: 'initial', verifier: first }, { id: 'b', verifier: second }])).resolves.toBe('b');
    await expect(verifiers.matchingSecret(CLIENT, 'first', [{ id: 'initial', verifier: first }])).resolves.toBe('initial');
    await expect(verifiers.matchingSecret(CLIENT, 'third', [{ id: 'initial', verifier: first }, { id: 'b', verifier: second }])).resolves.toBeUndefined();
    // A slot without a verifier (a secret still in Secrets Manager) matches nothing here.
    await expect(verifiers.matchingSecret(CLIENT, 'first', [{ id: 'initial' }])).resolves.toBeUndefined();
    expect(comparisons).toHaveLength(8);
  });

  it('MACs a presented secret once a minute, right or wrong; a secret over 512 bytes never', async () => {
    const { verifiers, macs, advance } = setUp();
    const stored = [{ id: 'initial', verifier: await verifiers.verifierOf(CLIENT, 'right') }];
    macs.length = 0;
    for (let i = 0; i < 3; i += 1) {
      await verifiers.matchingSecret(CLIENT, 'wrong', stored);
      await verifiers.matchingSecret(CLIENT, 'right', stored);
    }
    expect(macs).toHaveLength(2);
    expect(macs.join()).not.toMatch(/^right$|^wrong$/);
    advance(60_000);
    await verifiers.matchingSecret(CLIENT, 'wrong', stored);
    expect(macs).toHaveLength(3);
    await expect(verifiers.matchingSecret(CLIENT, 'x'.repeat(513), stored)).resolves.toBeUndefined();
    expect(macs).toHaveLength(3);
  });

  it('does not remember a failed MAC: the next attempt asks again', async () => {
    let fail = true;
    const verifiers = new StoredSecretVerifiers(async (message) => {
      if (fail) throw new Error('KMS down');
      return createHmac('sha256', KEY).update(message).digest();
    });
    await expect(verifiers.matchingSecret(CLIENT, 'right', [{ id: 'initial' }])).rejects.toThrow('KMS down');
    fail = false;
    const stored = [{ id: 'initial', verifier: await verifiers.verifierOf(CLIENT, 'right') }];
    await expect(verifiers.matchingSecret(CLIENT, 'right', stored)).resolves.toBe('initial');
  });
});
