// Where the service's JSON log records go during `npm test`: to a file per test file under
// test-results/logs/, so that jest's report is all the run prints. `LOG_LEVEL=DEBUG npm test` (any
// level) prints them as they are written instead, at that level.
import fs from 'node:fs';
import path from 'node:path';

export const LOG_RECORDS_DIR = path.join(__dirname, '..', '..', 'test-results', 'logs');

/** The level the service logs at in tests: LOG_LEVEL when the developer asks for one, else warnings and errors. */
export function testLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOG_LEVEL || 'WARN';
}

/** Whether the developer asked to see the log records on the console. */
export function logRecordsShown(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.LOG_LEVEL);
}

/** The file the records of one test file go to: its path below test/, with .jsonl. */
export function logRecordsFile(testPath: string): string {
  const relative = path.relative(path.join(__dirname, '..'), testPath);
  return path.join(LOG_RECORDS_DIR, `${relative.replace(/\.ts$/, '')}.jsonl`);
}

/**
 * A chunk written by the Powertools logger (one JSON object per line, starting with its level) or by Powertools
 * Metrics (an embedded-metric-format record, starting with its "_aws" metadata).
 */
function isLogRecord(chunk: unknown): chunk is string {
  return typeof chunk === 'string' && (chunk.startsWith('{"level":') || chunk.startsWith('{"_aws":'));
}

type Write = NodeJS.WriteStream['write'];

/**
 * Makes `stream.write` append log records to `file` and pass everything else through. Tests that spy
 * on `process.stdout.write` to read the logs replace this wrapper while they run, so they still see them.
 */
export function routeLogRecords(stream: Pick<NodeJS.WriteStream, 'write'>, file: string): void {
  const write: Write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!isLogRecord(chunk)) return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, chunk);
    const callback = rest.find((argument) => typeof argument === 'function') as ((error?: Error | null) => void) | undefined;
    callback?.(null);
    return true;
  }) as Write;
}
