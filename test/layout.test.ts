import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Issue 13: the arrows between src/ folders run one way. A module may import its
// own folder and the places listed for its folder; nothing else of ours.
const LEAVES = ['protocol.ts', 'errors.ts', 'config.ts', 'log.ts', 'raw-json.ts'];
const ALLOWED: Record<string, readonly string[]> = {
  'protocol.ts': [],
  // The wire of the events envelope protocol, the hub's and the SDK's alike.
  'raw-json.ts': [],
  'event-envelope.ts': [],
  'errors.ts': [],
  'config.ts': [],
  'log.ts': [],
  util: [],
  domain: ['util', 'protocol.ts', 'errors.ts'],
  // A networked store logs its connection's ups and downs.
  store: ['domain', 'util', 'protocol.ts', 'errors.ts', 'log.ts'],
  // The core sees the store through its interfaces only.
  core: [
    'domain',
    'log.ts',
    'store/job-store.ts',
    'store/topic-store.ts',
    'store/webhook-store.ts',
    'store/event-doc-store.ts',
    'util',
    'protocol.ts',
    'errors.ts',
  ],
  // Metrics and job logs: what the core reports, and its status read at each scrape.
  telemetry: ['core', 'store/job-store.ts', 'domain', 'protocol.ts', 'log.ts'],
  // The table of exchanges: a route's method, path, access and limits, and its
  // handler, framework-free; every channel is built from it.
  exchange: [
    'core',
    'domain',
    'util',
    'protocol.ts',
    'errors.ts',
    'auth.ts',
    'log.ts',
    'event-envelope.ts',
    'raw-json.ts',
  ],
  // The Hono app and the node:http fast path, both built from the table.
  http: [
    'exchange',
    'core',
    'ws',
    'telemetry',
    'log.ts',
    'domain',
    'util',
    'protocol.ts',
    'errors.ts',
    'auth.ts',
    'config.ts',
    'create-hub.ts',
  ],
  // The WebSocket channel: frames in, the core's operations (workers) or the
  // table's exchanges (callers), frames out.
  ws: [
    'exchange',
    'core',
    'domain',
    'util',
    'protocol.ts',
    'errors.ts',
    'auth.ts',
    'log.ts',
    'raw-json.ts',
  ],
  sdk: ['protocol.ts', 'event-envelope.ts', 'raw-json.ts'],
  cli: ['sdk', 'protocol.ts', 'config.ts', 'http/server.ts', 'log.ts'],
  'auth.ts': ['config.ts', 'errors.ts', 'protocol.ts'],
};
// The composition roots wire everything together: index.ts, main.ts, create-hub.ts.
const ROOTS = new Set(['index.ts', 'main.ts', 'create-hub.ts']);

const src = fileURLToPath(new URL('../src', import.meta.url));

function sourceFiles(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(src, path)] : [];
  });
}

/** The src-relative `.ts` paths a file imports (static, dynamic and type-only imports). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)].map((m) =>
    relative(src, join(dirname(join(src, file)), `${m[1]}.ts`)),
  );
}

/** The folder a file belongs to, or the file itself when it sits at the top. */
const placeOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

function allowed(file: string, target: string): boolean {
  const from = placeOf(file);
  if (ROOTS.has(from) || placeOf(target) === from) return true;
  const places = ALLOWED[from];
  assert.ok(places, `src/${file} is in no place the layout test knows: add it to ALLOWED`);
  return places.some((place) => target === place || placeOf(target) === place);
}

test('every import between src/ folders follows an allowed arrow', () => {
  const wrong: string[] = [];
  const files = sourceFiles();
  assert.ok(files.length > 50, `found only ${files.length} files`);
  for (const file of files) {
    for (const target of importsOf(file)) {
      if (!allowed(file, target)) wrong.push(`src/${file} imports src/${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

/** The first import circle among src/ files, as a path that ends where it starts. */
function firstCircle(files: readonly string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    for (const target of importsOf(file)) {
      const circle = visit(target, [...path, file]);
      if (circle) return circle;
    }
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const circle = visit(file, []);
    if (circle) return circle;
  }
  return undefined;
}

test('no import circle in src/, type-only imports included', () => {
  assert.equal(firstCircle(sourceFiles())?.join(' → '), undefined);
});

test('protocol.ts, errors.ts and config.ts are leaves: they import nothing of ours', () => {
  for (const leaf of LEAVES) assert.deepEqual(importsOf(leaf), [], leaf);
});

test('the layout test notices a wrong arrow', () => {
  assert.equal(allowed('sdk/worker.ts', 'core/hub.ts'), false);
  assert.equal(allowed('store/memory-store.ts', 'core/hub.ts'), false);
  assert.equal(allowed('core/hub.ts', 'store/memory-store.ts'), false);
  assert.equal(allowed('core/hub.ts', 'store/job-store.ts'), true);
  assert.deepEqual(importsOf('sdk/worker.ts').includes('protocol.ts'), true);
});
