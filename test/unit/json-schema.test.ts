// lazyValidator: a JSON Schema validator that Ajv compiles on its first call, never when it is created.
import { lazyValidator } from '../../shared/json-schema';

describe('lazyValidator', () => {
  it('validates like Ajv (strict) and reports the errors of the last failed check', () => {
    const validate = lazyValidator<{ name: string }>({ type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1 } } });
    expect(validate({ name: 'a' })).toBe(true);
    expect(validate({ name: '' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/name', keyword: 'minLength' });
    expect(validate({ name: 'a', extra: 1 })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'extra' } });
    expect(validate({ name: 'b' })).toBe(true);
    expect(validate.errors).toBeNull();
  });

  it('compiles on the first call, not at creation: a schema strict mode refuses throws only there, naming the problem', () => {
    const validate = lazyValidator({ type: 'object', properties: { name: { type: 'string', minLenght: 1 } } });
    expect(() => validate({})).toThrow(/strict mode: unknown keyword: "minLenght"/);
  });
});
