// JSON Schema validation with validators that Ajv generated at build time (json-schema-validators.generated.ts, written
// by `npm run generate:validators`): no schema is compiled in a Lambda, and Ajv itself is not in the bundles.
import type { ErrorObject } from 'ajv';
import { precompiled } from './json-schema-validators.generated';

/** What callers use of a validator: the check, and the errors of the last failed check (Ajv's error objects). */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

/** The generated validators' key of a schema: its JSON text (the schemas are literals, built the same way each time). */
export const schemaKey = (schema: object): string => JSON.stringify(schema);

/**
 * The build-time validator of `schema`, looked up on the first call: a schema without one throws there, naming the fix.
 * test/unit/json-schema.test.ts fails while the generated file misses a schema the service validates with.
 */
export function precompiledValidator<T = unknown>(schema: object): Validator<T> {
  let compiled: Validator<T> | undefined;
  const validate: Validator<T> = (data: unknown): data is T => {
    compiled ??= precompiled.get(schemaKey(schema)) as Validator<T> | undefined;
    if (!compiled) throw new Error(`no generated validator for the JSON Schema ${schemaKey(schema).slice(0, 200)}: run npm run generate:validators`);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}
