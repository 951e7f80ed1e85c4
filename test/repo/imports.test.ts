import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE.md §B: packages declare what they import, modules form no cycles, services never
// import each other, and libs never import services. Checked here over every source file.
const root = resolve(import.meta.dirname, '..', '..');

interface Pkg {
  dir: string;
  name: string;
  deps: Set<string>;
  files: string[];
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' || entry === 'dist' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function packages(): Pkg[] {
  return ['libs', 'services'].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => {
      const dir = join(root, group, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      // a peer (vitest for a test-support subpath) is provided by whoever uses the package
      const deps = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
      return { dir, name: manifest.name, deps, files: sources(join(dir, 'src')) };
    }),
  );
}

const importPattern = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importPattern)].map((m) => ({ spec: m[1] ?? '', typeOnly: /^\s*(import|export)\s+type\s/.test(m[0]) }));
}

/** "@scope/name/sub" → "@scope/name"; "name/sub" → "name". */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
}

const builtins = new Set(builtinModules);

describe('source imports', () => {
  const all = packages();

  it('import only packages their package.json declares (tests may use the root dev tools)', () => {
    const undeclared: string[] = [];
    for (const pkg of all) {
      for (const file of pkg.files.filter((f) => !f.endsWith('.test.ts'))) {
        for (const { spec } of imports(file)) {
          if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
          if (!pkg.deps.has(packageOf(spec))) undeclared.push(`${relative(root, file)}: ${spec} (add it to ${pkg.name}'s dependencies)`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('keep services apart and libs below services', () => {
    const services = new Set(all.filter((p) => p.dir.includes('/services/')).map((p) => p.name));
    const crossings: string[] = [];
    for (const pkg of all) {
      for (const file of pkg.files) {
        for (const { spec } of imports(file)) {
          if (/^@hearth\/[^/]+\/(src|dist)\//.test(spec)) crossings.push(`${relative(root, file)}: ${spec} reaches into a package's files`);
          const target = packageOf(spec);
          if (services.has(target) && target !== pkg.name) crossings.push(`${relative(root, file)}: ${spec} is another service`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });

  it('form no cycles inside a package (type-only imports aside)', () => {
    const cycles: string[] = [];
    for (const pkg of all) {
      const graph = new Map<string, string[]>();
      for (const file of pkg.files) {
        graph.set(
          file,
          imports(file)
            .filter((i) => i.spec.startsWith('.') && !i.typeOnly)
            .map((i) => resolve(dirname(file), i.spec.replace(/\.js$/, '.ts'))),
        );
      }
      const state = new Map<string, 'open' | 'done'>();
      const visit = (file: string, path: string[]): void => {
        if (state.get(file) === 'done') return;
        if (state.get(file) === 'open') {
          cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(' → '));
          return;
        }
        state.set(file, 'open');
        for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
        state.set(file, 'done');
      };
      for (const file of graph.keys()) visit(file, []);
    }
    expect(cycles).toEqual([]);
  });
});
