// JSON Schema validators compiled on first use: Ajv's module and its code generation cost tens of milliseconds,
// which a cold start should only pay on a request that validates something (docs/design.md "Bundling").
import type { ErrorObject, Schema, ValidateFunction } from 'ajv';

/** What callers use of a validator: the check, and the errors of the last failed check. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

type AjvInstance = import('ajv').default;
let ajv: AjvInstance | undefined;

function sharedAjv(): AjvInstance {
  if (!ajv) {
    // A require at first use keeps Ajv out of the module load (an import would run it when the bundle loads).
    const { default: Ajv } = require('ajv') as typeof import('ajv');
    // strict: a schema that Ajv does not fully understand is a programming error, not a lenient validator.
    ajv = new Ajv({ allErrors: false, strict: true });
  }
  return ajv;
}

/** A validator of `schema`, compiled by its first call (a schema Ajv refuses throws there, naming the problem). */
export function lazyValidator<T = unknown>(schema: Schema): Validator<T> {
  let compiled: ValidateFunction<T> | undefined;
  const validate: Validator<T> = (data: unknown): data is T => {
    compiled ??= sharedAjv().compile<T>(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}
