// The build-time JSON Schema validators: the generated file is up to date, validates as Ajv does, and a schema
// without a generated validator fails on its first use, naming the fix.
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { precompiledValidator } from '../../shared/json-schema';
import { GENERATED_VALIDATORS_FILE, validatedSchemas, validatorsSource } from '../../local/json-schema-validators';

describe('generated JSON Schema validators', () => {
  it(`${GENERATED_VALIDATORS_FILE} is what npm run generate:validators writes now`, () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', GENERATED_VALIDATORS_FILE), 'utf8');
    expect(committed === validatorsSource() ? 'up to date' : 'stale: run npm run generate:validators').toBe('up to date');
  });

  it('covers the pairing adapters’ inputParams and the token-issuance request', () => {
    const texts = validatedSchemas().map((schema) => JSON.stringify(schema));
    expect(texts.some((text) => text.includes('"scopes"'))).toBe(true);
    expect(texts.some((text) => text.includes('"systemAuthId"'))).toBe(true);
    expect(texts).toContain('{"type":"object","additionalProperties":false}');
  });

  it('answers and reports errors as Ajv compiling the same schema at run time does', () => {
    const runtime = new Ajv({ allErrors: false, strict: true });
    const inputs: unknown[] = [
      {}, { scopes: [] }, { scopes: ['application:read'] }, { scopes: ['application:read', 'application:read'] }, { scopes: ['admin'] },
      { scopes: 'application:read' }, { colour: 'red' }, null, [], 'text',
      { tenant: 't', appId: 'a', systemAuthId: 's' }, { tenant: '', appId: 'a', systemAuthId: 's' }, { tenant: 't', appId: 'a' },
      { tenant: 't', appId: 'a', systemAuthId: 's', purpose: 'x' }, { tenant: 'x'.repeat(257), appId: 'a', systemAuthId: 's' },
      { tenant: '😀'.repeat(256), appId: 'a', systemAuthId: 's' },
    ];
    for (const schema of validatedSchemas()) {
      const generated = precompiledValidator(schema);
      const compiled = runtime.compile(schema);
      for (const input of inputs) {
        const got = { valid: generated(input), errors: generated.errors ?? null };
        const want = { valid: compiled(input), errors: compiled.errors ?? null };
        expect({ schema, input, ...got }).toEqual({ schema, input, ...want });
      }
    }
  });

  it('a schema without a generated validator throws on its first call (not when the validator is made), naming the fix', () => {
    const validate = precompiledValidator({ type: 'object', required: ['nowhere'] });
    expect(() => validate({})).toThrow(/no generated validator for the JSON Schema \{"type":"object","required":\["nowhere"\]\}: run npm run generate:validators/);
  });
});
