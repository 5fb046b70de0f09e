// The inputParams check of an outside adapter's auth type: its JSON Schema is configuration, known only at start, and the
// Director bundles no JSON Schema compiler (docs/design.md "Bundling"), so a small, strict subset is checked here.
import type { ErrorObject } from 'ajv';
import type { Validator } from '../json-schema';
import type { JsonSchema } from './adapter';

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
/** Keywords understood; any other makes the configuration invalid (never silently unchecked). */
const KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'maximum', 'minLength', 'maxLength',
  'pattern', 'minItems', 'maxItems', 'uniqueItems', 'description', 'title', 'default', 'examples', '$schema',
]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Throws an Error saying what is wrong with the schema (at `path`), or returns when it is within the subset. */
export function checkSupportedSchema(schema: unknown, path = ''): void {
  const at = path === '' ? '' : ` at ${path}`;
  if (!isObject(schema)) throw new Error(`a schema must be an object${at}`);
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword)) throw new Error(`keyword "${keyword}"${at} is not supported (supported: ${[...KEYWORDS].join(', ')})`);
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  for (const type of types) if (typeof type !== 'string' || !TYPES.has(type)) throw new Error(`type ${JSON.stringify(type)}${at} is not a JSON type`);
  if (schema.properties !== undefined) {
    if (!isObject(schema.properties)) throw new Error(`properties${at} must be an object`);
    for (const [name, sub] of Object.entries(schema.properties)) checkSupportedSchema(sub, `${path}/properties/${name}`);
  }
  if (schema.items !== undefined) checkSupportedSchema(schema.items, `${path}/items`);
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((name) => typeof name === 'string'))) {
    throw new Error(`required${at} must be a list of names`);
  }
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') throw new Error(`additionalProperties${at} must be true or false`);
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) throw new Error(`enum${at} must be a list`);
  for (const keyword of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems']) {
    if (schema[keyword] !== undefined && typeof schema[keyword] !== 'number') throw new Error(`${keyword}${at} must be a number`);
  }
  if (schema.pattern !== undefined) {
    try {
      new RegExp(schema.pattern as string, 'u');
    } catch {
      throw new Error(`pattern${at} is not a regular expression`);
    }
  }
}

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

const matchesType = (value: unknown, type: string): boolean => {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
};

/** The first error of `value` against `schema` (Ajv's error shape, which the registry's messages read), or undefined. */
function firstError(schema: Record<string, unknown>, value: unknown, path: string): ErrorObject | undefined {
  const error = (keyword: string, message: string, params: Record<string, unknown> = {}): ErrorObject => ({ instancePath: path, schemaPath: '', keyword, params, message });
  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    if (!types.some((type) => matchesType(value, type))) return error('type', `must be ${types.join(',')}`, { type: schema.type });
  }
  if (schema.const !== undefined && JSON.stringify(value) !== JSON.stringify(schema.const)) return error('const', 'must be equal to constant', { allowedValue: schema.const });
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    return error('enum', 'must be equal to one of the allowed values', { allowedValues: schema.enum });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return error('minimum', `must be >= ${schema.minimum}`, { limit: schema.minimum });
    if (typeof schema.maximum === 'number' && value > schema.maximum) return error('maximum', `must be <= ${schema.maximum}`, { limit: schema.maximum });
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) return error('minLength', `must NOT have fewer than ${schema.minLength} characters`, { limit: schema.minLength });
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) return error('maxLength', `must NOT have more than ${schema.maxLength} characters`, { limit: schema.maxLength });
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return error('pattern', `must match pattern "${schema.pattern}"`, { pattern: schema.pattern });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return error('minItems', `must NOT have fewer than ${schema.minItems} items`, { limit: schema.minItems });
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return error('maxItems', `must NOT have more than ${schema.maxItems} items`, { limit: schema.maxItems });
    if (schema.uniqueItems === true && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) return error('uniqueItems', 'must NOT have duplicate items');
    if (isObject(schema.items)) {
      for (const [index, item] of value.entries()) {
        const found = firstError(schema.items, item, `${path}/${index}`);
        if (found) return found;
      }
    }
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in value)) return error('required', `must have required property '${name}'`, { missingProperty: name });
    }
    for (const [name, item] of Object.entries(value)) {
      const sub = properties[name];
      const escaped = name.replace(/~/g, '~0').replace(/\//g, '~1');
      if (isObject(sub)) {
        const found = firstError(sub, item, `${path}/${escaped}`);
        if (found) return found;
      } else if (schema.additionalProperties === false) {
        return error('additionalProperties', 'must NOT have additional properties', { additionalProperty: name });
      }
    }
  }
  return undefined;
}

/** The validator of a schema that checkSupportedSchema accepted. */
export function inputSchemaValidator(schema: JsonSchema): Validator<Record<string, unknown>> {
  const validate: Validator<Record<string, unknown>> = (data: unknown): data is Record<string, unknown> => {
    const error = firstError(schema, data, '');
    validate.errors = error ? [error] : null;
    return error === undefined;
  };
  return validate;
}
