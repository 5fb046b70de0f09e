// Failure injection for integration tests: makes the next matching AWS call fail before it is sent, or after it took effect.

export type FailureMoment = 'before-sending' | 'after-taking-effect';

export interface InjectedFailure {
  /** The SDK command name, e.g. `CreateSecretCommand`, `PutItemCommand`. */
  command: string;
  moment: FailureMoment;
  /** Only calls whose input passes this (default: every call of that command). */
  when?: (input: Record<string, unknown>) => boolean;
  /** How many matching calls fail (default 1); later ones go through. */
  times?: number;
}

/** What AWS would answer: a service error carrying text that must never reach a client. */
export function awsError(name: string): Error {
  const error = new Error(`${name}: Rate exceeded for arn:aws:secretsmanager:eu-central-1:123456789012:secret:internal (Service: AWSSecretsManager; Request ID: 5f0e)`);
  error.name = name;
  return Object.assign(error, { $metadata: { httpStatusCode: 400, requestId: '5f0e' }, $fault: 'client' });
}

/** The part of an SDK v3 client (or DynamoDB document client) this needs: its middleware stack. */
type InitializeHandler = (args: { input: object }) => Promise<unknown>;
type InitializeMiddleware = (next: InitializeHandler, context: { commandName?: string }) => InitializeHandler;
interface MiddlewareClient {
  middlewareStack: {
    add(middleware: InitializeMiddleware, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

let sequence = 0;

/**
 * Adds a middleware to the client that fails matching calls as described and records their inputs;
 * returns the recorded inputs and a function removing the middleware again.
 */
export function injectFailure(client: MiddlewareClient, failure: InjectedFailure, error: Error): { seen: Record<string, unknown>[]; remove: () => void } {
  const name = `injectedFailure${++sequence}`;
  const seen: Record<string, unknown>[] = [];
  let remaining = failure.times ?? 1;
  const middleware: InitializeMiddleware = (next, context) => async (args) => {
    const input = args.input as Record<string, unknown>;
    if (context.commandName !== failure.command || remaining <= 0 || (failure.when && !failure.when(input))) return next(args);
    remaining -= 1;
    seen.push(input);
    if (failure.moment === 'before-sending') throw error;
    await next(args);
    throw error;
  };
  const stack = client.middlewareStack;
  stack.add(middleware, { step: 'initialize', name });
  return { seen, remove: () => void stack.remove(name) };
}

/**
 * The item a DynamoDB write puts into the table: the PutItem's own, or that of the Put inside a
 * TransactWriteItems (an OAuth client's SystemAuth is written together with its tenant's quota counter).
 */
export function itemPutInto(table: string, input: Record<string, unknown>): Record<string, unknown> | undefined {
  if (input.TableName === table && input.Item) return input.Item as Record<string, unknown>;
  const items = (input.TransactItems ?? []) as Array<{ Put?: { TableName?: string; Item?: Record<string, unknown> } }>;
  return items.find((item) => item.Put?.TableName === table)?.Put?.Item;
}
