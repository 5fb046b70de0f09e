// Pins that the Director serves the contract's SDL verbatim and that every resolver matches a schema field.
import fs from 'node:fs';
import path from 'node:path';
import { directorSchema } from '../../../shared/director/endpoint';
import { directorSdl } from '../../../shared/director/schema';

const specFile = path.resolve(__dirname, '../../../../shared/spec/director.graphql');

describe('Director schema', () => {
  (fs.existsSync(specFile) ? it : it.skip)('is the contract file ../shared/spec/director.graphql, verbatim', () => {
    expect(directorSdl).toBe(fs.readFileSync(specFile, 'utf8'));
  });

  it('builds with the resolver map (no resolver names a missing field)', () => {
    const schema = directorSchema();
    expect(schema.getQueryType()?.getFields().applications.resolve).toBeDefined();
    expect(schema.getMutationType()?.getFields().registerApplication.resolve).toBeDefined();
  });
});
