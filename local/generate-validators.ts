// `npm run generate:validators`: writes shared/json-schema-validators.generated.ts (after changing a JSON Schema the
// service validates with, or adding a pairing adapter).
import fs from 'node:fs';
import path from 'node:path';
import { GENERATED_VALIDATORS_FILE, validatorsSource } from './json-schema-validators';

const file = path.resolve(__dirname, '..', GENERATED_VALIDATORS_FILE);
fs.writeFileSync(file, validatorsSource());
console.log(`wrote ${GENERATED_VALIDATORS_FILE}`);
