// The registry the Director asks for pairing adapters: lists auth types, validates inputParams, routes generate and revoke.
import type { CallerTrail } from '../audit/types';
import { BadUserInputError, InternalError } from '../errors';
import { precompiledValidator, type Validator } from '../json-schema';
import type { SystemAuth } from '../system-auths/types';
import type { AuthTypeDescription, PairingAdapter, PairingApplication, PairingContext, PairingResult } from './adapter';

interface RegisteredAdapter {
  adapter: PairingAdapter;
  validateInput: Validator<Record<string, unknown>>;
}

export class PairingAdapterRegistry {
  private readonly byAuthType = new Map<string, RegisteredAdapter>();
  private readonly bySystemAuthType = new Map<string, PairingAdapter>();

  constructor(adapters: PairingAdapter[]) {
    for (const adapter of adapters) {
      const { type } = adapter.authType;
      if (this.byAuthType.has(type)) throw new Error(`pairing adapter ${type} is registered twice`);
      // Revocation is routed by SystemAuth type: two adapters creating one type would make it ambiguous.
      // (unless every one of them handles all of that type's SystemAuths: sharesSystemAuthType).
      const sharing = this.bySystemAuthType.get(adapter.systemAuthType);
      if (sharing && !(sharing.sharesSystemAuthType && adapter.sharesSystemAuthType)) {
        throw new Error(`two pairing adapters create SystemAuths of type ${adapter.systemAuthType}`);
      }
      this.byAuthType.set(type, { adapter, validateInput: adapter.validateInput ?? precompiledValidator(adapter.authType.inputParams) });
      if (!sharing) this.bySystemAuthType.set(adapter.systemAuthType, adapter);
    }
  }

  /** Every pairing type the application can use, in registration order. */
  authTypes(): AuthTypeDescription[] {
    return [...this.byAuthType.values()].map(({ adapter }) => adapter.authType);
  }

  /** Validates `inputParams` against the adapter's schema and lets the adapter create the credential. */
  async generate(application: PairingApplication, type: string, inputParams: unknown, context: PairingContext): Promise<PairingResult> {
    const registered = this.byAuthType.get(type);
    if (!registered) {
      const known = [...this.byAuthType.keys()].join(', ');
      throw new BadUserInputError(`unknown auth type "${type}"; known types: ${known}`);
    }
    if (!registered.validateInput(inputParams)) {
      throw new BadUserInputError(`invalid inputParams for ${type}: ${describeSchemaError(registered.validateInput)}`);
    }
    return registered.adapter.generate(application, inputParams as Record<string, unknown>, context);
  }

  /** Revokes a SystemAuth through the adapter that created its type. */
  async revoke(systemAuth: SystemAuth, trail: CallerTrail): Promise<void> {
    await this.adapterOf(systemAuth.type).revoke(systemAuth, trail);
  }

  /**
   * The adapter that creates SystemAuths of this type (or, for a pairing result, of this auth type): everything
   * type-specific about one is asked of it.
   */
  adapterOf(systemAuthType: string): PairingAdapter {
    const adapter = this.bySystemAuthType.get(systemAuthType) ?? this.byAuthType.get(systemAuthType)?.adapter;
    if (!adapter) throw new InternalError(`no pairing adapter handles SystemAuths of type ${systemAuthType}`);
    return adapter;
  }

  /** The SystemAuth types whose adapter has the capability, for messages that say which types do. */
  typesWith(capability: 'secrets' | 'certificates' | 'publicKeys'): string[] {
    return [...this.bySystemAuthType.values()].filter((adapter) => adapter[capability] !== undefined).map((adapter) => adapter.systemAuthType);
  }
}

/** One sentence naming the offending input, e.g. `inputParams.scopes[0] must be one of: "a", "b"`. */
function describeSchemaError(validate: Validator<unknown>): string {
  const error = validate.errors?.[0];
  if (!error) return 'does not match the schema';
  const where = 'inputParams' + error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where} has unknown key "${String((error.params as { additionalProperty: string }).additionalProperty)}"`;
    case 'enum':
      return `${where} must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where} ${error.message ?? 'does not match the schema'}`;
  }
}
