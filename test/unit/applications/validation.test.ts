// Pins each rule of application input (director.graphql comments) at its boundaries, and that violations name the field.
import { BadUserInputError } from '../../../shared/errors';
import {
  BASE_URL_MAX_LENGTH,
  DESCRIPTION_MAX_LENGTH,
  LABEL_KEY_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
  MAX_LABELS,
  MAX_LABEL_VALUES,
  NAME_MAX_LENGTH,
  PROVIDER_NAME_MAX_LENGTH,
  validateRegisterInput,
  validateUpdateInput,
} from '../../../shared/applications/validation';

function violation(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    return (error as Error).message;
  }
  throw new Error('expected a BadUserInputError');
}

const register = (fields: Record<string, unknown>) => validateRegisterInput({ name: 'app', ...fields });

describe('validateRegisterInput', () => {
  it('accepts a full valid input and returns it', () => {
    const input = {
      name: 'my-app.v2',
      description: 'Orders',
      providerName: 'ACME',
      baseUrl: 'https://orders.example.com/api',
      labels: { env: 'prod', teams: ['a', 'b'] },
    };
    expect(validateRegisterInput(input)).toEqual(input);
  });

  it('treats null optional fields as absent', () => {
    expect(validateRegisterInput({ name: 'app', description: null, labels: null })).toEqual({ name: 'app' });
  });

  describe('name', () => {
    it.each([['a'], ['a'.repeat(NAME_MAX_LENGTH)], ['.dot'], ['-dash'], ['x0.1-2']])('accepts %p', (name) => {
      expect(validateRegisterInput({ name }).name).toBe(name);
    });

    it('is required', () => {
      expect(violation(() => validateRegisterInput({}))).toContain('name: is required');
    });

    it('must not be empty', () => {
      expect(violation(() => register({ name: '' }))).toContain(`name: must be 1-${NAME_MAX_LENGTH} characters long`);
    });

    it(`must be at most ${NAME_MAX_LENGTH} characters`, () => {
      expect(violation(() => register({ name: 'a'.repeat(NAME_MAX_LENGTH + 1) }))).toContain(`name: must be 1-${NAME_MAX_LENGTH} characters long`);
    });

    it.each([['Upper'], ['under_score'], ['space d'], ['ümlaut'], ['slash/']])('refuses characters outside [a-z0-9-.]: %p', (name) => {
      expect(violation(() => register({ name }))).toContain('name: may contain only lowercase letters a-z, digits, "-" and "."');
    });

    it('must not start with a digit', () => {
      expect(violation(() => register({ name: '1app' }))).toContain('name: must not start with a digit');
    });
  });

  describe('description', () => {
    it(`accepts ${DESCRIPTION_MAX_LENGTH} characters, counting characters not UTF-16 units`, () => {
      expect(register({ description: 'x'.repeat(DESCRIPTION_MAX_LENGTH) }).description).toHaveLength(DESCRIPTION_MAX_LENGTH);
      expect(register({ description: '😀'.repeat(DESCRIPTION_MAX_LENGTH) }).description).toBeDefined();
    });

    it(`refuses ${DESCRIPTION_MAX_LENGTH + 1} characters`, () => {
      expect(violation(() => register({ description: 'x'.repeat(DESCRIPTION_MAX_LENGTH + 1) }))).toContain(
        `description: must be at most ${DESCRIPTION_MAX_LENGTH} characters long`,
      );
    });

    it('must be a string', () => {
      expect(violation(() => register({ description: 5 }))).toContain('description: must be a string');
    });
  });

  describe('providerName', () => {
    it(`accepts ${PROVIDER_NAME_MAX_LENGTH} characters and refuses one more`, () => {
      expect(register({ providerName: 'p'.repeat(PROVIDER_NAME_MAX_LENGTH) }).providerName).toHaveLength(PROVIDER_NAME_MAX_LENGTH);
      expect(violation(() => register({ providerName: 'p'.repeat(PROVIDER_NAME_MAX_LENGTH + 1) }))).toContain(
        `providerName: must be at most ${PROVIDER_NAME_MAX_LENGTH} characters long`,
      );
    });
  });

  describe('baseUrl', () => {
    it.each([['http://example.com'], ['https://example.com:8443/a/b?c=d#e'], ['http://127.0.0.1:3000']])('accepts %p', (baseUrl) => {
      expect(register({ baseUrl }).baseUrl).toBe(baseUrl);
    });

    it.each([['example.com'], ['/relative/path'], ['ftp://example.com'], ['javascript:alert(1)'], ['file:///etc/passwd'], [''], [' https://example.com'], ['https://exa mple.com'], ['https://']])(
      'refuses %p',
      (baseUrl) => {
        expect(violation(() => register({ baseUrl }))).toContain('baseUrl: must be an absolute http:// or https:// URL');
      },
    );

    it(`accepts ${BASE_URL_MAX_LENGTH} characters and refuses one more`, () => {
      const prefix = 'https://example.com/';
      expect(register({ baseUrl: prefix + 'a'.repeat(BASE_URL_MAX_LENGTH - prefix.length) }).baseUrl).toHaveLength(BASE_URL_MAX_LENGTH);
      expect(violation(() => register({ baseUrl: prefix + 'a'.repeat(BASE_URL_MAX_LENGTH - prefix.length + 1) }))).toContain(
        `baseUrl: must be at most ${BASE_URL_MAX_LENGTH} characters long`,
      );
    });
  });

  describe('labels', () => {
    it('accepts strings and lists of strings, empty lists included', () => {
      const labels = { 'a.b_c-D9': 'v', list: ['x', 'y'], none: [] };
      expect(register({ labels }).labels).toEqual(labels);
    });

    it.each([[['a']], ['text'], [5]])('must be an object, not %p', (labels) => {
      expect(violation(() => register({ labels }))).toContain('labels: must be an object');
    });

    it(`allows ${MAX_LABELS} labels and refuses one more`, () => {
      const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
      expect(Object.keys(register({ labels: many(MAX_LABELS) }).labels ?? {})).toHaveLength(MAX_LABELS);
      expect(violation(() => register({ labels: many(MAX_LABELS + 1) }))).toContain(`labels: at most ${MAX_LABELS} labels are allowed`);
    });

    it(`allows label names of ${LABEL_KEY_MAX_LENGTH} characters and refuses longer or odd ones`, () => {
      expect(register({ labels: { ['k'.repeat(LABEL_KEY_MAX_LENGTH)]: 'v' } }).labels).toBeDefined();
      for (const key of ['k'.repeat(LABEL_KEY_MAX_LENGTH + 1), '', 'with space', 'slash/x', 'colon:x']) {
        expect(violation(() => register({ labels: { [key]: 'v' } }))).toContain(`must be 1-${LABEL_KEY_MAX_LENGTH} characters of A-Z, a-z, 0-9`);
      }
    });

    it('refuses the label name __proto__', () => {
      expect(violation(() => register({ labels: JSON.parse('{"__proto__": "x"}') }))).toContain('"__proto__" is reserved');
    });

    it(`allows values of ${LABEL_VALUE_MAX_LENGTH} characters and refuses longer ones, in lists too`, () => {
      const ok = 'v'.repeat(LABEL_VALUE_MAX_LENGTH);
      const long = 'v'.repeat(LABEL_VALUE_MAX_LENGTH + 1);
      expect(register({ labels: { a: ok, b: [ok] } }).labels).toBeDefined();
      expect(violation(() => register({ labels: { a: long } }))).toContain(`labels: the values of "a" must be at most ${LABEL_VALUE_MAX_LENGTH} characters long`);
      expect(violation(() => register({ labels: { b: [ok, long] } }))).toContain('the values of "b"');
    });

    it(`allows ${MAX_LABEL_VALUES} values in one label and refuses more`, () => {
      expect(register({ labels: { a: Array(MAX_LABEL_VALUES).fill('v') } }).labels).toBeDefined();
      expect(violation(() => register({ labels: { a: Array(MAX_LABEL_VALUES + 1).fill('v') } }))).toContain(
        `labels: "a" may have at most ${MAX_LABEL_VALUES} values`,
      );
    });

    it.each([[5], [true], [null], [{ nested: 'x' }], [[1]], [['x', null]]])('refuses the value %p', (value) => {
      expect(violation(() => register({ labels: { a: value } }))).toContain('labels: the value of "a" must be a string or a list of strings');
    });
  });

  it('refuses fields the input does not have', () => {
    expect(violation(() => register({ id: 'x' }))).toContain('id: is not a field of this input');
  });

  it('lists every violation in one error', () => {
    const message = violation(() => validateRegisterInput({ name: '9A', baseUrl: 'nope', description: 'x'.repeat(DESCRIPTION_MAX_LENGTH + 1) }));
    expect(message).toMatch(/^Invalid application input: /);
    for (const part of ['name: may contain only', 'name: must not start with a digit', 'description:', 'baseUrl:']) expect(message).toContain(part);
  });
});

describe('validateUpdateInput', () => {
  it('keeps only the fields given; null clears a field', () => {
    expect(validateUpdateInput({ description: 'new', baseUrl: null })).toEqual({ description: 'new', baseUrl: null });
    expect(validateUpdateInput({})).toEqual({});
  });

  it('applies the same rules as registration', () => {
    expect(violation(() => validateUpdateInput({ baseUrl: 'ftp://x' }))).toContain('baseUrl:');
    expect(violation(() => validateUpdateInput({ labels: { 'bad key': 'v' } }))).toContain('labels:');
    expect(violation(() => validateUpdateInput({ providerName: 'p'.repeat(PROVIDER_NAME_MAX_LENGTH + 1) }))).toContain('providerName:');
  });

  it('refuses changing the name', () => {
    expect(violation(() => validateUpdateInput({ name: 'other' }))).toContain('name: is not a field of this input');
  });
});
