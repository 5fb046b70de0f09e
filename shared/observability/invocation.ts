// One Lambda invocation, observed: a trace subsegment annotated with the operation and its outcome (when tracing is
// on), and the invocation's metrics written when it ends. Handlers wrap themselves in observedHandler.
import { AsyncLocalStorage } from 'node:async_hooks';
import { boundedValue, publishOperationalMetrics } from './metrics';
import { processTracer, type TraceAnnotations } from './tracing';

const current = new AsyncLocalStorage<Partial<TraceAnnotations>>();

/** Names the operation of the running invocation (a GraphQL operation's root fields, an OAuth route). */
export function noteOperation(operation: string): void {
  const notes = current.getStore();
  if (notes) notes.operation = operation.slice(0, 200);
}

/** The outcome of the running invocation: SUCCESS or a client-visible error code (kept to a bounded code). */
export function noteOutcome(outcome: string): void {
  const notes = current.getStore();
  if (notes) notes.outcome = boundedValue(outcome);
}

/**
 * Wraps a handler: with tracing on, a subsegment "## <function>" with the ColdStart, Service, operation and outcome
 * annotations (nothing else: no ids, no error text); always, the invocation's metrics and the container's ColdStart
 * metric when it ends, whether it returned or threw. A thrown error's outcome is INTERNAL.
 */
export function observedHandler<A extends unknown[], R>(functionName: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const notes: Partial<TraceAnnotations> = {};
    const tracer = processTracer();
    const parent = tracer?.getSegment();
    const segment = parent?.addNewSubsegment(`## ${functionName}`);
    if (tracer && segment) {
      tracer.setSegment(segment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      return await current.run(notes, () => handler(...args));
    } catch (error) {
      notes.outcome = 'INTERNAL';
      throw error;
    } finally {
      if (tracer && segment && parent) {
        segment.addAnnotation('operation', notes.operation ?? functionName);
        segment.addAnnotation('outcome', notes.outcome ?? 'SUCCESS');
        segment.close();
        tracer.setSegment(parent);
      }
      publishOperationalMetrics(functionName);
    }
  };
}
