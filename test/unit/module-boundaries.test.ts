// The modules under ./shared depend on each other one way only, and each DynamoDB table is read and written by the one module that owns it.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SHARED = path.join(__dirname, '..', '..', 'shared');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** A module is a folder directly under ./shared, or a file directly in it (config.ts, errors.ts, ...). */
function moduleOf(file: string): string {
  const [first, ...rest] = path.relative(SHARED, file).split(path.sep);
  return rest.length === 0 ? first.replace(/\.tsx?$/, '') : first;
}

/** Which modules each module imports from (relative imports into ./shared only). */
function moduleGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SHARED)) {
    const from = moduleOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const imported of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), imported.fileName);
      if (!target.startsWith(SHARED + path.sep)) continue;
      const to = moduleOf(target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle found by a depth-first search, as the list of modules along it. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (module: string, trail: string[]) => {
    const at = trail.indexOf(module);
    if (at >= 0) {
      found.push([...trail.slice(at), module]);
      return;
    }
    if (done.has(module)) return;
    for (const next of graph.get(module) ?? []) visit(next, [...trail, module]);
    done.add(module);
  };
  for (const module of graph.keys()) visit(module, []);
  return found;
}

describe('module boundaries under ./shared', () => {
  const graph = moduleGraph();

  it('has no import cycle between modules', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const withCycle = new Map(graph);
    withCycle.set('system-auths', new Set([...(graph.get('system-auths') ?? []), 'one-time-tokens']));
    expect(cycles(withCycle)).toContainEqual(expect.arrayContaining(['one-time-tokens', 'system-auths']));
  });

  it.each([
    ['applicationsTable', ['ApplicationRepository']],
    ['systemAuthsTable', ['SystemAuthRepository', 'OAuthClientRecords', 'CertificateSystemAuths', 'CertificateRepository', 'CrlEntryRepository', 'CrlState', 'PublicKeyClientRepository', 'PublicKeyClientGrants']],
    ['tokensTable', ['OneTimeTokenRepository']],
    ['auditTable', ['AuditRepository']],
  ])('hands config().%s only to the repositories of the module that owns the table (%s), and only from a composition root', (tableSetting, owners) => {
    // Below the roots no module reads a table's name: it is handed in.
    expect(sourceFiles(SHARED).filter((file) => moduleOf(file) !== 'config' && fs.readFileSync(file, 'utf8').includes(tableSetting))).toEqual([]);
    expect(tableHandedTo(rootFiles(), tableSetting).filter((receiver) => !owners.includes(receiver))).toEqual([]);
  });

  it('finds a table handed to a repository of another module (the check itself works)', () => {
    const planted = "const misplaced = new ApplicationRepository(aws.dynamo, config().systemAuthsTable, config);";
    expect(tableHandedTo([{ file: 'planted.ts', text: planted }], 'systemAuthsTable')).toEqual(['ApplicationRepository']);
  });

  it('imports graphql-js from its package entry only: a deep path (graphql/execution/values) bundles its CommonJS copy beside the ES one', () => {
    const deep = [SHARED, path.join(SHARED, '..', 'functions')].flatMap(sourceFiles).flatMap((file) =>
      ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles
        .filter((imported) => imported.fileName.startsWith('graphql/'))
        .map((imported) => `${path.relative(SHARED, file)}: ${imported.fileName}`),
    );
    expect(deep).toEqual([]);
  });
});

/** The handlers, the local stack, the admin CLI, the bench and the tests' composition: where tables are named. */
function rootFiles(): { file: string; text: string }[] {
  const root = path.join(__dirname, '..', '..');
  return ['functions', 'local', 'bench', path.join('test', 'support')]
    .flatMap((dir) => sourceFiles(path.join(root, dir)))
    .map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
}

/** The class each `config().<setting>` is passed to (`new X(config().setting` or `new X(client, config().setting`), or `?` where it is used otherwise. */
function tableHandedTo(files: { file: string; text: string }[], tableSetting: string): string[] {
  return files.flatMap(({ text }) =>
    [...text.matchAll(new RegExp(`(new (\\w+)\\((?:[\\w.]+, )?)?config\\(\\)\\.${tableSetting}\\b`, 'g'))].map((match) => match[2] ?? '?'),
  );
}
