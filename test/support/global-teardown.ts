// Jest global teardown: stops the local AWS processes that global-setup.ts started.
import type { LocalAwsService } from '../../local/aws-services';
import { LOCAL_AWS_HANDLES } from './local-aws';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<string, unknown>)[LOCAL_AWS_HANDLES] as LocalAwsService[] | undefined;
  await Promise.all((started ?? []).map((service) => service.stop()));
}
