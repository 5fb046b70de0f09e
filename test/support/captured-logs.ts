// Reads what the service logs while a piece of a test runs: every stdout line, at a chosen log level.
import { logger } from '../../shared/logger';

type LogLevel = Parameters<typeof logger.setLogLevel>[0];

export interface CapturedLogs<T> {
  result: T;
  /** Every line written to stdout and stderr meanwhile (Powertools writes one JSON record a line, errors to stderr). */
  lines: string[];
  /** The lines that are JSON log records, parsed. */
  records: Array<Record<string, unknown>>;
}

/** Runs `work` with the logger at `level` and stdout and stderr captured (and kept off the console), then restores all three. */
export async function captureLogs<T>(level: LogLevel, work: () => Promise<T>): Promise<CapturedLogs<T>> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
  );
  const previous = logger.getLevelName();
  logger.setLogLevel(level);
  let result: T;
  try {
    result = await work();
  } finally {
    logger.setLogLevel(previous);
    for (const spy of spies) spy.mockRestore();
  }
  const lines = written.join('').split('\n').filter((line) => line !== '');
  const records = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { result, lines, records };
}
