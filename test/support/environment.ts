// Runs a piece of a test under other configuration (environment variables read by shared/config.ts), then restores it.
import { resetConfig } from '../../shared/config';

/** Sets (a string) or removes (undefined) each variable for the duration of `work`; config() is re-read on both sides. */
export async function withEnvironment<T>(variables: Record<string, string | undefined>, work: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetConfig();
  };
  apply(variables);
  try {
    return await work();
  } finally {
    apply(saved);
  }
}
