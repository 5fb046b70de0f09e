// Only a pairing type's own adapter module names the type: everywhere else (the Director, the pairing service, Cockpit) asks its adapter.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { pairingOf, type PairingStores } from '../../../shared/pairing';
import { SYSTEM_AUTH_TYPES } from '../../../shared/system-auths/types';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCANNED = ['shared', 'functions', path.join('cockpit', 'web')];

/**
 * Where a type's name may be written, besides the lists every type is in (below): its adapter module, i.e. the
 * adapter (`shared/pairing/<type>.ts`) and the storage of its own attributes in the table's owner (`shared/system-auths/`),
 * which the protocol code of the type (token endpoint, Connector, authentication) imports the name from.
 */
const ADAPTER_MODULES: Record<string, string[]> = {
  OAUTH2_CLIENT_CREDENTIALS: ['shared/pairing/oauth-client-credentials.ts', 'shared/system-auths/oauth-client-records.ts'],
  CLIENT_CERTIFICATE: ['shared/pairing/client-certificate.ts', 'shared/system-auths/certificate-auths.ts'],
};

/** A type without an entry above: its adapter's files, `shared/pairing/<type in kebab case>[-*].ts`, and the same under system-auths. */
function adapterModuleOf(type: string): (file: string) => boolean {
  const listed = ADAPTER_MODULES[type];
  if (listed) return (file) => listed.includes(file);
  const kebab = type.toLowerCase().replace(/_/g, '-');
  const own = new RegExp(`^shared/(pairing|system-auths)/${kebab}(-[a-z0-9-]+)?\\.ts$`);
  return (file) => own.test(file);
}

/** Every type's name is in these: the registry list of SystemAuth types, the SDL (its enum and comments), the generated validators. */
const EVERY_TYPE = ['shared/system-auths/types.ts', 'shared/director/schema.ts', 'shared/json-schema-validators.generated.ts'];

/** Each pairing type: what the registry offers and what SystemAuths may be. */
const TYPES = [...new Set([...SYSTEM_AUTH_TYPES, ...pairingOf({} as PairingStores).registry.authTypes().map((type) => type.type)])];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Each place a type's name is written in code: a string or template literal containing it as a word, JSX text, or an
 * identifier spelled as it (an object key). Comments are not code, and are left alone.
 */
function typeLiterals(file: string, text: string, types: readonly string[]): { type: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const words = types.map((type) => ({ type, pattern: new RegExp(`(?<![A-Za-z0-9_])${type}(?![A-Za-z0-9_])`) }));
  const found: { type: string; line: number }[] = [];
  const visit = (node: ts.Node) => {
    let written: string | undefined;
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || ts.isJsxText(node)) written = node.text;
    else if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) written = node.text;
    if (written !== undefined) {
      for (const { type, pattern } of words) {
        if (pattern.test(written)) found.push({ type, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `file:line: TYPE` for each type name written outside its adapter module and the lists every type is in. */
function violations(files: { file: string; text: string }[]): string[] {
  return files.flatMap(({ file, text }) =>
    EVERY_TYPE.includes(file)
      ? []
      : typeLiterals(file, text, TYPES)
          .filter(({ type }) => !adapterModuleOf(type)(file))
          .map(({ type, line }) => `${file}:${line}: ${type}`),
  );
}

describe('pairing type names', () => {
  it('knows the types it checks', () => {
    expect(TYPES).toEqual(expect.arrayContaining(['OAUTH2_CLIENT_CREDENTIALS', 'CLIENT_CERTIFICATE']));
  });

  it('are written only in their adapter module (and the registry list, the SDL, the generated validators)', () => {
    const files = SCANNED.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).map((full) => ({
      file: path.relative(ROOT, full).split(path.sep).join('/'),
      text: fs.readFileSync(full, 'utf8'),
    }));
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('finds a type name written anywhere else (the check itself works)', () => {
    const planted = [
      { file: 'shared/director/resolvers/planted.ts', text: "// CLIENT_CERTIFICATE in a comment is prose\nif (auth.type !== 'CLIENT_CERTIFICATE') return null;\n" },
      { file: 'shared/pairing/service.ts', text: 'const message = `only OAUTH2_CLIENT_CREDENTIALS clients ${x}`;' },
      { file: 'cockpit/web/planted.tsx', text: 'const names = { OAUTH2_CLIENT_CREDENTIALS: 1 };\nconst view = <p>CLIENT_CERTIFICATE</p>;\n' },
      // The other type's module is not this type's.
      { file: 'shared/system-auths/oauth-client-records.ts', text: "const type = 'CLIENT_CERTIFICATE';" },
    ];
    expect(violations(planted)).toEqual([
      'shared/director/resolvers/planted.ts:2: CLIENT_CERTIFICATE',
      'shared/pairing/service.ts:1: OAUTH2_CLIENT_CREDENTIALS',
      'cockpit/web/planted.tsx:1: OAUTH2_CLIENT_CREDENTIALS',
      'cockpit/web/planted.tsx:2: CLIENT_CERTIFICATE',
      'shared/system-auths/oauth-client-records.ts:1: CLIENT_CERTIFICATE',
    ]);
    // In its own module, and for a type added later in files named after it, the same code is fine.
    expect(violations([{ file: 'shared/pairing/client-certificate.ts', text: "const type = 'CLIENT_CERTIFICATE';" }])).toEqual([]);
    expect(adapterModuleOf('PRIVATE_KEY_JWT')('shared/pairing/private-key-jwt.ts')).toBe(true);
    expect(adapterModuleOf('PRIVATE_KEY_JWT')('shared/director/resolvers/pairing.ts')).toBe(false);
  });
});
