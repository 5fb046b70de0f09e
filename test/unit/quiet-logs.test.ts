// `npm test` prints jest's report, not the service's logs: log records go to test-results/logs/ unless LOG_LEVEL asks for them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../shared/logger';
import { logRecordsFile, logRecordsShown, routeLogRecords, testLogLevel } from '../support/log-records';

describe('log records in tests', () => {
  it('appends log records to the file and passes every other write through to the stream', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'log-records-')), 'nested', 'records.jsonl');
    const passed: unknown[][] = [];
    const stream = { write: (...args: unknown[]) => (passed.push(args), true) } as unknown as NodeJS.WriteStream;
    routeLogRecords(stream, file);

    const done = jest.fn();
    expect(stream.write('{"level":"ERROR","message":"one"}\n', done)).toBe(true);
    stream.write('{"level":"WARN","message":"two"}\n');
    // Metrics in the embedded metric format are log records too (they are what CloudWatch reads from the log).
    stream.write('{"_aws":{"CloudWatchMetrics":[]},"service":"pairing-service"}\n');
    stream.write('PASS test/unit/quiet-logs.test.ts\n');
    stream.write('{"not":"a log record"}\n');

    expect(fs.readFileSync(file, 'utf8')).toBe('{"level":"ERROR","message":"one"}\n{"level":"WARN","message":"two"}\n{"_aws":{"CloudWatchMetrics":[]},"service":"pairing-service"}\n');
    expect(done).toHaveBeenCalledWith(null);
    expect(passed).toEqual([['PASS test/unit/quiet-logs.test.ts\n'], ['{"not":"a log record"}\n']]);
  });

  it('names one file per test file below test-results/logs', () => {
    expect(logRecordsFile(path.join(__dirname, 'quiet-logs.test.ts'))).toBe(
      path.join(__dirname, '..', '..', 'test-results', 'logs', 'unit', 'quiet-logs.test.jsonl'),
    );
  });

  it('logs at WARN unless LOG_LEVEL names a level, which also prints the records', () => {
    expect(testLogLevel({})).toBe('WARN');
    expect(logRecordsShown({})).toBe(false);
    expect(testLogLevel({ LOG_LEVEL: 'DEBUG' })).toBe('DEBUG');
    expect(logRecordsShown({ LOG_LEVEL: 'DEBUG' })).toBe(true);
  });

  it("sends this worker's service logs to this test file's record file (the jest setup is in force)", () => {
    if (logRecordsShown()) return; // LOG_LEVEL asked for them on the console.
    const probe = `probe-${Date.now()}-${Math.random()}`;
    logger.error('quiet-logs probe', { probe });
    const file = logRecordsFile(expect.getState().testPath!);
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(records).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'quiet-logs probe', probe }));
  });
});
