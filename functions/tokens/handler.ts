// The `tokens` Lambda: issues one one-time token per invocation (Lambda Invoke from the Director only; no HTTP route).
import { issueTokenFor, parseTokenIssuanceRequest, type TokenIssuance } from '../../shared/one-time-tokens/issuance';

/** A thrown error reaches the invoker as a FunctionError, which the Director reports as INTERNAL. */
export async function handler(event: unknown): Promise<TokenIssuance> {
  return issueTokenFor(parseTokenIssuanceRequest(event));
}
