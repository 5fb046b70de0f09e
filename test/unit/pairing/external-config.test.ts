// EXTERNAL_PAIRING_ADAPTERS: the operator's outside pairing adapters, parsed at the Director's start; anything wrong names its field.
import { parseExternalAdapters } from '../../../shared/pairing/external-config';

const vault = {
  name: 'vault',
  url: 'https://vault.example.com/pairing',
  authTypes: [{ type: 'VAULT_TOKEN', description: 'A Vault token', inputParams: { type: 'object', additionalProperties: false, properties: { ttl: { type: 'integer' } } } }],
};
const parse = (value: unknown, stage = 'prod') => parseExternalAdapters(JSON.stringify(value), stage);

describe('parseExternalAdapters', () => {
  it('none when unset or empty', () => {
    expect(parseExternalAdapters(undefined, 'prod')).toEqual([]);
    expect(parseExternalAdapters('', 'prod')).toEqual([]);
    expect(parse([])).toEqual([]);
  });

  it('reads an adapter, with a timeout of 5 s and the type as its label by default', () => {
    expect(parse([vault])).toEqual([{
      name: 'vault', url: 'https://vault.example.com/pairing', timeoutMs: 5000,
      authTypes: [{ type: 'VAULT_TOKEN', description: 'A Vault token', label: 'VAULT_TOKEN', inputParams: vault.authTypes[0]!.inputParams, params: [] }],
    }]);
    expect(parse([{ ...vault, timeoutSeconds: 10 }])[0]!.timeoutMs).toBe(10000);
    const labelled = { ...vault.authTypes[0], label: 'Vault token', params: [{ name: 'token', label: 'Token' }] };
    expect(parse([{ ...vault, authTypes: [labelled] }])[0]!.authTypes[0]).toMatchObject({ label: 'Vault token', params: [{ name: 'token', label: 'Token' }] });
  });

  it('allows plain http to the loopback address on the local stage only', () => {
    const local = { ...vault, url: 'http://127.0.0.1:8099/pair' };
    expect(parse([local], 'local')[0]!.url).toBe('http://127.0.0.1:8099/pair');
    expect(() => parse([local], 'prod')).toThrow('EXTERNAL_PAIRING_ADAPTERS[0].url may be plain http only on the local stage (this is stage prod): use https');
    expect(() => parse([{ ...vault, url: 'http://vault.example.com/' }], 'local')).toThrow('EXTERNAL_PAIRING_ADAPTERS[0].url must be https');
  });

  it.each([
    ['not JSON', '[{', 'EXTERNAL_PAIRING_ADAPTERS is not JSON'],
    ['not a list', '{}', 'EXTERNAL_PAIRING_ADAPTERS must be a JSON list of adapters'],
    ['a bad name', JSON.stringify([{ ...vault, name: 'Vault!' }]), 'EXTERNAL_PAIRING_ADAPTERS[0].name must be lower case'],
    ['a name twice', JSON.stringify([vault, { ...vault, authTypes: [{ ...vault.authTypes[0], type: 'OTHER' }] }]), 'EXTERNAL_PAIRING_ADAPTERS[1].name "vault" is configured twice'],
    ['a type twice', JSON.stringify([vault, { ...vault, name: 'other' }]), 'EXTERNAL_PAIRING_ADAPTERS[1].authTypes[0].type "VAULT_TOKEN" is offered twice'],
    ['no URL', JSON.stringify([{ ...vault, url: 'nope' }]), 'EXTERNAL_PAIRING_ADAPTERS[0].url is not a URL'],
    ['credentials in the URL', JSON.stringify([{ ...vault, url: 'https://u:p@vault.example.com/' }]), 'EXTERNAL_PAIRING_ADAPTERS[0].url must not hold credentials'],
    ['a timeout over 10 s', JSON.stringify([{ ...vault, timeoutSeconds: 11 }]), 'EXTERNAL_PAIRING_ADAPTERS[0].timeoutSeconds must be a number of seconds above 0 and at most 10'],
    ['a zero timeout', JSON.stringify([{ ...vault, timeoutSeconds: 0 }]), 'EXTERNAL_PAIRING_ADAPTERS[0].timeoutSeconds'],
    ['no auth types', JSON.stringify([{ ...vault, authTypes: [] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes must be a non-empty list'],
    ['a lower-case type', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], type: 'vault' }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].type must be upper snake case'],
    ['a schema that is not an object schema', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], inputParams: { type: 'string' } }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].inputParams must be a JSON Schema of type "object"'],
    ['an invalid schema', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], inputParams: { type: 'object', properties: { a: { type: 'nonsense' } } } }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].inputParams is not a supported JSON Schema: type "nonsense" at /properties/a is not a JSON type'],
    ['a keyword outside the subset', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], inputParams: { type: 'object', oneOf: [] } }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].inputParams is not a supported JSON Schema: keyword "oneOf" is not supported'],
    ['params that are not labels', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], params: ['token'] }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].params must be a list of {name, label}'],
    ['an unknown setting of a type', JSON.stringify([{ ...vault, authTypes: [{ ...vault.authTypes[0], schema: {} }] }]), 'EXTERNAL_PAIRING_ADAPTERS[0].authTypes[0].schema is not a setting'],
    ['an unknown setting', JSON.stringify([{ ...vault, timeout: 3 }]), 'EXTERNAL_PAIRING_ADAPTERS[0].timeout is not a setting'],
  ])('refuses %s, naming the field', (_what, raw, message) => {
    expect(() => parseExternalAdapters(raw, 'prod')).toThrow(message);
  });
});
