// The import graph of lib/, pipelines/ and workers/ has no circles, type-only
// imports included, and pipelines/ imports nothing from lib/ (it runs the
// same in a worker). Imports are read with TypeScript's own pre-processor, so
// comments and template strings that look like imports are not taken for them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROOTS = ['lib', 'pipelines', 'workers'];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative specifiers of one file (static, type-only, re-exports, literal dynamic imports), resolved to project paths. */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue; // packages and node: builtins
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName));
    const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.posix.join(target, 'index.ts')];
    const hit = candidates.find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** Every elementary cycle is reported once, as the strongly connected components that hold them (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) !== idx.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** One path around a component, for a readable message: a -> b -> … -> a. */
function loopThrough(graph: Map<string, string[]>, component: string[]): string {
  const inside = new Set(component);
  const start = component[0]!;
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const trail = [v];
        for (let x = v; x !== start; ) trail.unshift((x = seen.get(x)!));
        return [...trail, start].join(' -> ');
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.join(', ');
}

const files = ROOTS.flatMap(sources);
const known = new Set(files);
const graph = new Map(files.map((f) => [f, importsOf(f, known)]));

t.test('the graph was read', async (t) => {
  t.ok(files.length > 100, `${files.length} files`);
  t.ok(graph.get('lib/gateway.ts')!.includes('lib/runtime.ts'), 'a known import is found');
  t.ok(graph.get('lib/routing/dispatch.ts')!.includes('lib/routing/types.ts'), 'type-only imports count');
});

t.test('no import circles among lib/, pipelines/ and workers/', async (t) => {
  const found = circles(graph);
  t.same(
    found.map((c) => loopThrough(graph, c)),
    [],
    'each line is one circle',
  );
});

t.test('pipelines/ imports nothing from lib/ or workers/', async (t) => {
  const bad = files.filter((f) => f.startsWith('pipelines/')).flatMap((f) => graph.get(f)!.filter((d) => !d.startsWith('pipelines/')).map((d) => `${f} -> ${d}`));
  t.same(bad, []);
});

t.test('the circle finder finds circles', async (t) => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['a']],
  ]);
  t.same(circles(g).map((c) => loopThrough(g, c)).sort(), ['a -> b -> c -> a', 'd -> d']);
});
