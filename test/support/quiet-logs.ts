// Jest setup (setupFilesAfterEnv, once per test file): the service's log records go to
// test-results/logs/<test file>.jsonl unless LOG_LEVEL asks to see them (test/support/log-records.ts).
import { logRecordsFile, logRecordsShown, routeLogRecords } from './log-records';

if (!logRecordsShown()) {
  const file = logRecordsFile(expect.getState().testPath ?? 'unknown.test.ts');
  routeLogRecords(process.stdout, file);
  routeLogRecords(process.stderr, file);
}
