/**
 * docs/configuration.md is the operator's one reference of settings: it must be what the schemas
 * say today, name every setting each program reads, and no code may read a `HOINGHI_*` setting
 * that no schema declares (the program would refuse it at start-up as unknown, or, read around the
 * schema, it would be a setting nobody can find).
 *
 * The source scan covers the product (signaling/, sfu/, common/, deploy/, web/src/) and scripts/
 * (but not scripts/settings-doc.ts, whose text names knobs in order to document them). It leaves
 * out test/, harness/ and load-tests/: their `HOINGHI_*` knobs (HOINGHI_MODEL_SEED,
 * HOINGHI_FUZZ_RUNS, HOINGHI_CHROMIUM, …) are read by the test runner or a benchmark, never by a
 * server program, and tests pass unknown names to the schemas on purpose.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, readers, renderConfigurationDoc, scriptKnobs, sections, settingDoc } from '../../scripts/settings-doc';

const root = path.resolve(import.meta.dirname, '../..');

const declared = new Set(readers.flatMap((r) => Object.keys(r.schema.shape)));

/** The script knob `name` is, if it is one of `script`'s own. */
/** A knob of `script` (any script's when `script` is omitted). */
function isKnobOf(name: string, script?: string): boolean {
  return Object.entries(scriptKnobs).some(([knob, owner]) => (script === undefined || owner === script) && (knob.endsWith('*') ? name.startsWith(knob.slice(0, -1)) : name === knob));
}

function files(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, exts));
    else if (exts.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

/** Every `HOINGHI_X` name a file mentions, by file; prefixes (`HOINGHI_QA_*`, `'HOINGHI_'`) are not names. */
function namesIn(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/HOINGHI_[A-Z0-9_]+/g)].map((m) => m[0]).filter((n) => !n.endsWith('_'));
}

describe('docs/configuration.md', () => {
  it('is what scripts/settings-doc.ts renders from the schemas today', () => {
    const committed = readFileSync(path.join(root, DOC_PATH), 'utf8');
    expect(committed, `${DOC_PATH} is stale: run node --import tsx scripts/settings-doc.ts`).toBe(renderConfigurationDoc());
  });

  it('has a table row for every setting each program reads, and no row for one it does not', () => {
    for (const reader of readers) {
      const documented = sections.filter((s) => s.readBy.includes(reader)).flatMap((s) => Object.keys(s.shape));
      expect(documented.length, `a setting of the ${reader.name} is in two sections`).toBe(new Set(documented).size);
      expect(new Set(documented), reader.name).toEqual(new Set(Object.keys(reader.schema.shape)));
    }
    const doc = readFileSync(path.join(root, DOC_PATH), 'utf8');
    for (const name of declared) expect(doc, name).toContain(`| \`${name}\` |`);
  });

  it('gives every setting a doc that names only settings that exist', () => {
    for (const reader of readers) {
      for (const [name, schema] of Object.entries(reader.schema.shape)) {
        const doc = settingDoc(schema);
        expect(doc?.doc.length ?? 0, `${name} has no doc`).toBeGreaterThan(10);
        const text = `${doc?.doc} ${doc?.shownDefault ?? ''} ${doc?.type ?? ''}`;
        for (const mentioned of text.match(/HOINGHI_[A-Z0-9_]+/g) ?? []) expect(declared, `${name}'s doc names ${mentioned}`).toContain(mentioned);
      }
    }
  });
});

describe('settings read by the code', () => {
  const product = ['signaling', 'sfu', 'common', 'deploy', 'web/src'].flatMap((d) => files(path.join(root, d), ['.ts', '.tsx']));
  const scripts = files(path.join(root, 'scripts'), ['.ts', '.sh']).filter((f) => path.relative(root, f) !== 'scripts/settings-doc.ts');

  it('finds the settings it should (the scan itself works)', () => {
    expect(product.length).toBeGreaterThan(50);
    expect(namesIn(path.join(root, 'scripts/start.sh'))).toContain('HOINGHI_DEMO_SIGNIN');
    expect(namesIn(path.join(root, 'signaling/config.ts'))).toContain('HOINGHI_JWT_SECRET');
  });

  it('declares in a schema every HOINGHI_* name the product code reads or mentions', () => {
    const undeclared = product.flatMap((f) => namesIn(f).filter((n) => !declared.has(n)).map((n) => `${path.relative(root, f)}: ${n}`));
    expect(undeclared).toEqual([]);
  });

  it('declares every HOINGHI_* name the scripts use, except the knobs of the scripts (start.sh keeps the build’s out of the server)', () => {
    const undeclared = scripts.flatMap((f) =>
      namesIn(f)
        .filter((n) => !declared.has(n))
        .filter((n) => !isKnobOf(n))
        .map((n) => `${path.relative(root, f)}: ${n}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('keeps the knobs of the scripts out of the schemas, and each one still read by its script', () => {
    for (const [knob, script] of Object.entries(scriptKnobs)) {
      const used = namesIn(path.join(root, script)).filter((n) => isKnobOf(n, script));
      expect(used.some((n) => knob.endsWith('*') || n === knob), `${script} no longer reads ${knob}`).toBe(true);
    }
    const inSchemas = [...declared].filter((n) => Object.values(scriptKnobs).some((script) => isKnobOf(n, script)));
    expect(inSchemas).toEqual([]);
  });
});
