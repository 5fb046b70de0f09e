// The operator's list of pairing adapters outside the service (EXTERNAL_PAIRING_ADAPTERS): parsed and checked once, at start.
import { LOCAL_STAGE } from '../config';
import type { JsonSchema } from './adapter';
import { checkSupportedSchema } from './external-input-schema';

/** The environment variable (serverless.yml: the deployment parameter `externalPairingAdapters`). */
export const EXTERNAL_ADAPTERS_VARIABLE = 'EXTERNAL_PAIRING_ADAPTERS';

export const DEFAULT_ADAPTER_TIMEOUT_SECONDS = 5;
export const MAX_ADAPTER_TIMEOUT_SECONDS = 10;

/** One auth type an outside adapter offers. */
export interface ExternalAuthTypeConfig {
  type: string;
  description: string;
  /** JSON Schema of its inputParams (an object schema). */
  inputParams: JsonSchema;
  /** The type in words for Cockpit; the type's name when not given. */
  label: string;
  /** Labels of the answer's params, in the order to show them (Cockpit shows any other param after these, by its name). */
  params: { name: string; label: string }[];
}

export interface ExternalAdapterConfig {
  name: string;
  url: string;
  authTypes: ExternalAuthTypeConfig[];
  timeoutMs: number;
}

/** A configuration the Director refuses to start with; the message names the field. */
export class ExternalAdapterConfigError extends Error {
  override readonly name = 'ExternalAdapterConfigError';
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Upper snake case, as the built-in types; never one of theirs (the registry refuses a type registered twice). */
const TYPE = /^[A-Z][A-Z0-9_]{1,63}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(field: string, message: string): never {
  throw new ExternalAdapterConfigError(`${EXTERNAL_ADAPTERS_VARIABLE}${field} ${message}`);
}

function adapterUrl(value: unknown, field: string, stage: string): string {
  if (typeof value !== 'string') fail(field, 'must be a URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(field, 'is not a URL');
  }
  if (url.username || url.password) fail(field, 'must not hold credentials');
  if (url.hash) fail(field, 'must not have a fragment');
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    if (stage === LOCAL_STAGE) return url.href;
    fail(field, `may be plain http only on the ${LOCAL_STAGE} stage (this is stage ${stage}): use https`);
  }
  fail(field, `must be https (plain http://127.0.0.1 or localhost only on the ${LOCAL_STAGE} stage)`);
}

function authTypeOf(value: unknown, field: string): ExternalAuthTypeConfig {
  if (!isObject(value)) fail(field, 'must be an object {type, description?, inputParams, label?, params?}');
  const known = new Set(['type', 'description', 'inputParams', 'label', 'params']);
  const unknown = Object.keys(value).find((key) => !known.has(key));
  if (unknown !== undefined) fail(`${field}.${unknown}`, 'is not a setting (type, description, inputParams, label, params)');
  const { type, description, inputParams, label, params } = value;
  const isLabel = (param: unknown) => isObject(param) && typeof param.name === 'string' && typeof param.label === 'string' && Object.keys(param).length === 2;
  if (params !== undefined && !(Array.isArray(params) && params.every(isLabel))) fail(`${field}.params`, 'must be a list of {name, label}');
  if (typeof type !== 'string' || !TYPE.test(type)) fail(`${field}.type`, 'must be upper snake case, e.g. VAULT_TOKEN');
  if (description !== undefined && typeof description !== 'string') fail(`${field}.description`, 'must be a string');
  if (label !== undefined && (typeof label !== 'string' || label.trim() === '')) fail(`${field}.label`, 'must be a non-empty string');
  if (!isObject(inputParams) || inputParams.type !== 'object') fail(`${field}.inputParams`, 'must be a JSON Schema of type "object"');
  try {
    checkSupportedSchema(inputParams);
  } catch (error) {
    fail(`${field}.inputParams`, `is not a supported JSON Schema: ${(error as Error).message}`);
  }
  return {
    type, description: description ?? `Pairing by the ${type} adapter`, inputParams, label: label ?? type,
    params: ((params ?? []) as { name: string; label: string }[]).map(({ name, label: text }) => ({ name, label: text })),
  };
}

function timeoutOf(value: unknown, field: string): number {
  if (value === undefined) return DEFAULT_ADAPTER_TIMEOUT_SECONDS * 1000;
  if (typeof value !== 'number' || !(value > 0) || value > MAX_ADAPTER_TIMEOUT_SECONDS) {
    fail(field, `must be a number of seconds above 0 and at most ${MAX_ADAPTER_TIMEOUT_SECONDS}`);
  }
  return Math.round(value * 1000);
}

/**
 * The configured outside adapters: `raw` is a JSON list of {name, url, authTypes: [{type, description, inputParams,
 * label?}], timeoutSeconds?}. Unset or empty means none. Anything wrong throws ExternalAdapterConfigError naming the field.
 */
export function parseExternalAdapters(raw: string | undefined, stage: string): ExternalAdapterConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    fail('', 'is not JSON');
  }
  if (!Array.isArray(value)) fail('', 'must be a JSON list of adapters');
  const names = new Set<string>();
  const types = new Set<string>();
  return value.map((entry: unknown, index): ExternalAdapterConfig => {
    const at = `[${index}]`;
    if (!isObject(entry)) fail(at, 'must be an object {name, url, authTypes, timeoutSeconds?}');
    const known = new Set(['name', 'url', 'authTypes', 'timeoutSeconds']);
    const unknown = Object.keys(entry).find((key) => !known.has(key));
    if (unknown !== undefined) fail(`${at}.${unknown}`, 'is not a setting (name, url, authTypes, timeoutSeconds)');
    const { name, authTypes } = entry;
    if (typeof name !== 'string' || !NAME.test(name)) fail(`${at}.name`, 'must be lower case letters, digits and dashes (at most 63)');
    if (names.has(name)) fail(`${at}.name`, `"${name}" is configured twice`);
    names.add(name);
    if (!Array.isArray(authTypes) || authTypes.length === 0) fail(`${at}.authTypes`, 'must be a non-empty list');
    const offered = authTypes.map((authType: unknown, i) => authTypeOf(authType, `${at}.authTypes[${i}]`));
    offered.forEach((authType, i) => {
      if (types.has(authType.type)) fail(`${at}.authTypes[${i}].type`, `"${authType.type}" is offered twice`);
      types.add(authType.type);
    });
    return { name, url: adapterUrl(entry.url, `${at}.url`, stage), authTypes: offered, timeoutMs: timeoutOf(entry.timeoutSeconds, `${at}.timeoutSeconds`) };
  });
}
