// The rules an application's fields must follow (director.graphql comments); violations are BAD_USER_INPUT.
import { BadUserInputError, type FieldViolation } from '../errors';
import type { ApplicationRegisterInput, ApplicationUpdateInput, Labels } from './types';

export const NAME_MAX_LENGTH = 36;
export const DESCRIPTION_MAX_LENGTH = 2000;
export const PROVIDER_NAME_MAX_LENGTH = 256;
export const BASE_URL_MAX_LENGTH = 256;
export const MAX_LABELS = 50;
export const LABEL_KEY_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 256;
export const MAX_LABEL_VALUES = 50;

const NAME_CHARACTERS = /^[a-z0-9.-]+$/;
const LABEL_KEY = /^[A-Za-z0-9._-]+$/;

/** Input as it may arrive: GraphQL guarantees little for JSON fields, other callers even less. */
export type RawApplicationInput = Record<string, unknown>;

// Lengths count characters (code points), as a user reading the rule would.
const length = (text: string) => [...text].length;

type Violations = FieldViolation[];

const at = (field: string, message: string): FieldViolation => ({ field, message });

function checkName(value: unknown, violations: Violations): void {
  if (typeof value !== 'string') {
    violations.push(at('name', 'is required and must be a string'));
    return;
  }
  if (length(value) < 1 || length(value) > NAME_MAX_LENGTH) violations.push(at('name', `must be 1-${NAME_MAX_LENGTH} characters long`));
  if (value !== '' && !NAME_CHARACTERS.test(value)) violations.push(at('name', 'may contain only lowercase letters a-z, digits, "-" and "."'));
  if (/^[0-9]/.test(value)) violations.push(at('name', 'must not start with a digit'));
}

function checkText(field: string, value: unknown, maxLength: number, violations: Violations): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') violations.push(at(field, 'must be a string'));
  else if (length(value) > maxLength) violations.push(at(field, `must be at most ${maxLength} characters long`));
}

function checkBaseUrl(value: unknown, violations: Violations): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') {
    violations.push(at('baseUrl', 'must be a string'));
    return;
  }
  if (length(value) > BASE_URL_MAX_LENGTH) violations.push(at('baseUrl', `must be at most ${BASE_URL_MAX_LENGTH} characters long`));
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The URL parser forgives surrounding and embedded whitespace; a stored base URL should not need forgiving.
  const wellFormed = url !== undefined && !/[\s\u0000-\u001f]/.test(value) && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  if (!wellFormed) violations.push(at('baseUrl', 'must be an absolute http:// or https:// URL'));
}

function checkLabelValue(key: string, value: unknown, violations: Violations): void {
  const checkOne = (text: unknown) => {
    if (typeof text !== 'string') violations.push(at('labels', `the value of "${key}" must be a string or a list of strings`));
    else if (length(text) > LABEL_VALUE_MAX_LENGTH) {
      violations.push(at('labels', `the values of "${key}" must be at most ${LABEL_VALUE_MAX_LENGTH} characters long`));
    }
  };
  if (!Array.isArray(value)) {
    checkOne(value);
    return;
  }
  if (value.length > MAX_LABEL_VALUES) violations.push(at('labels', `"${key}" may have at most ${MAX_LABEL_VALUES} values`));
  for (const item of value) checkOne(item);
}

function checkLabels(value: unknown, violations: Violations): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    violations.push(at('labels', 'must be an object of label name -> string or list of strings'));
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_LABELS) violations.push(at('labels', `at most ${MAX_LABELS} labels are allowed`));
  for (const [key, labelValue] of entries) {
    // Shown back to the client in messages: keep a bad key short.
    const shown = key.length > LABEL_KEY_MAX_LENGTH ? `${key.slice(0, LABEL_KEY_MAX_LENGTH)}...` : key;
    if (key.length < 1 || key.length > LABEL_KEY_MAX_LENGTH || !LABEL_KEY.test(key)) {
      violations.push(at('labels', `label name "${shown}" must be 1-${LABEL_KEY_MAX_LENGTH} characters of A-Z, a-z, 0-9, ".", "_" and "-"`));
      continue;
    }
    // JSON.parse makes "__proto__" an ordinary key, but reading the item back would turn it into a prototype.
    if (key === '__proto__') {
      violations.push(at('labels', 'label name "__proto__" is reserved'));
      continue;
    }
    checkLabelValue(shown, labelValue, violations);
  }
}

function rejectUnknownFields(input: RawApplicationInput, known: readonly string[], violations: Violations): void {
  for (const field of Object.keys(input)) {
    if (!known.includes(field)) violations.push(at(field, 'is not a field of this input'));
  }
}

function throwIfAny(violations: Violations): void {
  if (violations.length === 0) return;
  const listed = violations.map(({ field, message }) => `${field}: ${message}`).join('; ');
  throw new BadUserInputError(`Invalid application input: ${listed}`, { violations });
}

const optional = <T>(value: unknown): T | undefined => (value === null || value === undefined ? undefined : (value as T));

/** The register input, checked against every rule; throws one BadUserInputError listing each violation. */
export function validateRegisterInput(input: RawApplicationInput): ApplicationRegisterInput {
  const violations: Violations = [];
  rejectUnknownFields(input, ['name', 'description', 'providerName', 'baseUrl', 'labels'], violations);
  checkName(input.name, violations);
  checkText('description', input.description, DESCRIPTION_MAX_LENGTH, violations);
  checkText('providerName', input.providerName, PROVIDER_NAME_MAX_LENGTH, violations);
  checkBaseUrl(input.baseUrl, violations);
  checkLabels(input.labels, violations);
  throwIfAny(violations);
  return {
    name: input.name as string,
    description: optional<string>(input.description),
    providerName: optional<string>(input.providerName),
    baseUrl: optional<string>(input.baseUrl),
    labels: optional<Labels>(input.labels),
  };
}

/** The update input, checked like the register input; fields left out are not in the result, nulls are kept (they clear). */
export function validateUpdateInput(input: RawApplicationInput): ApplicationUpdateInput {
  const fields = ['description', 'providerName', 'baseUrl', 'labels'] as const;
  const violations: Violations = [];
  rejectUnknownFields(input, fields, violations);
  checkText('description', input.description, DESCRIPTION_MAX_LENGTH, violations);
  checkText('providerName', input.providerName, PROVIDER_NAME_MAX_LENGTH, violations);
  checkBaseUrl(input.baseUrl, violations);
  checkLabels(input.labels, violations);
  throwIfAny(violations);
  const update: ApplicationUpdateInput = {};
  for (const field of fields) {
    if (input[field] !== undefined) (update as Record<string, unknown>)[field] = input[field];
  }
  return update;
}
