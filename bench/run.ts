// `npm run bench`: runs each benchmark section in turn in this one process and prints a one-line summary of all of them.
import { caIssuanceBench } from './ca';
import { coldStartBench } from './cold';
import { crlBench } from './crl';
import { graphqlAbuseBench } from './graphql-abuse';
import { describeRuntime, runtimeMismatch } from '../local/node-runtime';
import { mtlsLoadBench } from './mtls-load';
import { operationCostBench } from './operations';
import { pairingLatencyBench } from './pairing';
import { tokenSigningBench } from './token-signing';

/** One benchmark: prints its own details while it runs and returns a short summary for the final line. */
export interface BenchSection {
  name: string;
  run: () => Promise<string>;
}

// Another measurement is one more entry here.
const sections: BenchSection[] = [caIssuanceBench, operationCostBench, graphqlAbuseBench, pairingLatencyBench, mtlsLoadBench, tokenSigningBench, crlBench, coldStartBench];

async function main(): Promise<void> {
  // Measured on the Node.js major the functions deploy on, or not at all.
  const mismatch = runtimeMismatch();
  if (mismatch) throw new Error(mismatch);
  console.log(`bench: on Node.js ${describeRuntime()}`);
  const summaries: string[] = [];
  // `npm run bench -- <words>` runs only the sections whose name contains one of the words.
  const wanted = process.argv.slice(2);
  for (const section of sections.filter((s) => wanted.length === 0 || wanted.some((word) => s.name.includes(word)))) {
    console.log(`bench: ${section.name} ...`);
    summaries.push(await section.run());
  }
  console.log(`bench: ${summaries.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exitCode = 1;
});
