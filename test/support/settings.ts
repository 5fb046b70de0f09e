// Runs a test file with some settings of shared/config.ts changed, and puts the environment and the configuration back afterwards.
import { resetConfig } from '../../shared/config';

/** Sets the environment variables before the file's tests (config() reads them again) and restores them after. */
export function withSettings(settings: Record<string, string>): void {
  const previous: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [name, value] of Object.entries(settings)) {
      previous[name] = process.env[name];
      process.env[name] = value;
    }
    resetConfig();
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetConfig();
  });
}
