// The inputParams check of outside adapters' types: the same verdicts as Ajv on the supported subset, and the subset enforced.
import Ajv from 'ajv';
import { checkSupportedSchema, inputSchemaValidator } from '../../../shared/pairing/external-input-schema';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['ttl'],
  properties: {
    ttl: { type: 'integer', minimum: 1, maximum: 3600 },
    role: { type: 'string', enum: ['reader', 'writer'] },
    path: { type: 'string', minLength: 1, maxLength: 8, pattern: '^[a-z/]+$' },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, maxItems: 2 },
    ratio: { type: 'number' },
  },
};

const inputs: unknown[] = [
  { ttl: 5 }, { ttl: 5, role: 'reader', path: 'a/b', tags: ['x'], ratio: 0.5 }, { ttl: 5, ratio: 2 },
  {}, { ttl: 0 }, { ttl: 4000 }, { ttl: 1.5 }, { ttl: '5' }, { ttl: 5, role: 'admin' }, { ttl: 5, path: '' }, { ttl: 5, path: 'toolongpath' },
  { ttl: 5, path: 'A' }, { ttl: 5, tags: ['x', 'x'] }, { ttl: 5, tags: ['a', 'b', 'c'] }, { ttl: 5, tags: [1] }, { ttl: 5, colour: 'red' }, [], null, 'x',
];

describe('inputSchemaValidator', () => {
  it('agrees with Ajv on every input', () => {
    const ajv = new Ajv({ strict: true }).compile(schema);
    const ours = inputSchemaValidator(schema);
    for (const input of inputs) expect({ input, valid: ours(input) }).toEqual({ input, valid: ajv(input) });
  });

  it('reports the first error as Ajv does (instancePath, keyword, params)', () => {
    const validate = inputSchemaValidator(schema);
    expect(validate({ ttl: 5, colour: 'red' })).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'colour' } })]);
    validate({ ttl: 5, tags: [1] });
    expect(validate.errors).toEqual([expect.objectContaining({ instancePath: '/tags/0', keyword: 'type', message: 'must be string' })]);
    expect(validate({ ttl: 5 })).toBe(true);
    expect(validate.errors).toBeNull();
  });

  it('refuses schemas outside the subset, so nothing goes unchecked', () => {
    expect(() => checkSupportedSchema(schema)).not.toThrow();
    expect(() => checkSupportedSchema({ type: 'object', properties: { a: { anyOf: [] } } })).toThrow('keyword "anyOf" at /properties/a is not supported');
    expect(() => checkSupportedSchema({ type: 'object', additionalProperties: { type: 'string' } })).toThrow('additionalProperties must be true or false');
    expect(() => checkSupportedSchema({ type: 'object', properties: { a: { type: 'string', pattern: '(' } } })).toThrow('pattern at /properties/a is not a regular expression');
  });
});
