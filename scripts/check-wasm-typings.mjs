// The typings wasm-bindgen writes for each wasm (kept by scripts/build as
// wasm/feishu_edge_bg.d.ts beside the glue) type-check the package's JS facade where it uses
// the glue (issue 25, outcome 3): every name imported from the glue must exist, and every call
// of a glue function, constructor or method (on a value the facade declares with a glue type)
// must match its declaration: the arity (TypeScript does not count missing arguments in JS,
// this script does), and the types where the typings have them.
//
// The facade is plain JS: the rest of it is not held to TypeScript's inference (that is what
// tests/types does for the published declarations). Only diagnostics on glue imports and on
// calls that resolve to a glue declaration count here.
//
// `node scripts/check-wasm-typings.mjs [pkg dir]` (after scripts/build).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = resolve(process.argv[2] ?? join(root, 'pkg'));
const GLUES = ['wasm', 'webhook/wasm', 'wasm-ws'].map((d) => join(pkg, d, 'feishu_edge_bg.d.ts'));
const failures = [];
let passed = 0;
const ok = (cond, what) => (cond ? passed++ : failures.push(what));

for (const glue of GLUES) ok(existsSync(glue), `${glue} is missing: scripts/build keeps wasm-bindgen's typings there`);

// The facade: every hand-written module of the package and of its webhook entry (the bundled
// node.js / node.cjs are outputs of esbuild over these, not checked twice).
const facade = [pkg, join(pkg, 'webhook')].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.js') && !/^node\.(c?js)$/.test(f))
    .map((f) => join(dir, f)),
);

const program = ts.createProgram(facade, {
  allowJs: true,
  checkJs: true,
  noEmit: true,
  strict: false,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: [],
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const isGlue = (file) => /\/feishu_edge_bg\.d\.ts$/.test(file);
const declaredInGlue = (symbol) => {
  if (!symbol) return false;
  const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return (s.declarations ?? []).some((d) => isGlue(d.getSourceFile().fileName));
};

const spans = new Map(); // file → [[start, end, what]]
let imports = 0, calls = 0;
for (const source of program.getSourceFiles()) {
  if (!facade.includes(source.fileName)) continue;
  const list = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && /\/feishu_edge_bg\.js$/.test(node.moduleSpecifier.text)) {
      imports++;
      list.push([node.getStart(), node.end, 'import']);
    } else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (declaredInGlue(checker.getSymbolAtLocation(callee))) {
        calls++;
        const what = node.expression.getText().slice(0, 60);
        list.push([node.getStart(), node.end, what]);
        // TypeScript lets a JS file pass fewer arguments than a declaration asks for: counted
        // here (a parameter is optional when declared with `?` or as a rest).
        const declaration = checker.getResolvedSignature(node)?.getDeclaration();
        const required = (declaration?.parameters ?? []).filter((p) => !p.questionToken && !p.dotDotDotToken && !p.initializer).length;
        const given = node.arguments?.length ?? 0;
        if (declaration && isGlue(declaration.getSourceFile().fileName) && given < required) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          failures.push(`${source.fileName.slice(pkg.length + 1)}:${line + 1}: ${what}: passes ${given} argument(s), the typings ask for ${required}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  spans.set(source.fileName, list);
}

const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && spans.has(d.file.fileName));
for (const [file, list] of spans) {
  for (const [start, end, what] of list) {
    const found = diagnostics.filter((d) => d.file.fileName === file && d.start >= start && d.start < end);
    for (const d of found) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      failures.push(`${file.slice(pkg.length + 1)}:${line + 1}: ${what}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
    if (!found.length) passed++;
  }
}

for (const f of failures) console.log(`not ok - ${f}`);
console.log(`ok - ${imports} imports from the glue and ${calls} calls of glue functions, constructors and methods in ${spans.size} facade modules match wasm-bindgen's typings`);
console.log(`wasm-typings: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
