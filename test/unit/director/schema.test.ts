// Pins that the Director and the Connector serve the contract's SDL, extended but never broken, and that every resolver matches a schema field.
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { connectorSdl } from '../../../shared/connector/schema';
import { directorSchema } from '../../../shared/director/endpoint';
import { directorSdl } from '../../../shared/director/schema';

const specFile = (name: string) => path.resolve(__dirname, '../../../../shared/spec', name);

describe.each([
  ['director.graphql', directorSdl],
  ['connector.graphql', connectorSdl],
])('the served schema of ../shared/spec/%s', (file, served) => {
  (fs.existsSync(specFile(file)) ? it : it.skip)('extends the contract without a breaking change (nothing renamed, dropped or retyped)', () => {
    const contract = buildSchema(fs.readFileSync(specFile(file), 'utf8'));
    expect(findBreakingChanges(contract, buildSchema(served))).toEqual([]);
  });
});

describe('Director schema', () => {
  it('builds with the resolver map (no resolver names a missing field)', () => {
    const schema = directorSchema();
    expect(schema.getQueryType()?.getFields().applications.resolve).toBeDefined();
    expect(schema.getMutationType()?.getFields().registerApplication.resolve).toBeDefined();
    expect(schema.getMutationType()?.getFields().revokeIssuedCertificate.resolve).toBeDefined();
  });
});
