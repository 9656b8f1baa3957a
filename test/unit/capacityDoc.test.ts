/**
 * The capacity plan is written in one place: docs/capacity.md's generated block and the README's
 * headline must be what load-tests/nation.ts computes from load-tests/results today (it runs as
 * its own program, `--check`, as a benchmark is run; tests and benchmarks do not import each
 * other). The two other cases show the check can fail: a figure edited by hand in the docs, and a
 * results file that changed without the docs being regenerated.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp: string[] = [];

function check(at: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'load-tests/nation.ts'), '--check', at], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** A copy of the docs and results in a temporary root. */
function copyRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-doc-'));
  tmp.push(dir);
  fs.mkdirSync(path.join(dir, 'docs'));
  fs.mkdirSync(path.join(dir, 'load-tests'));
  fs.copyFileSync(path.join(root, 'docs/capacity.md'), path.join(dir, 'docs/capacity.md'));
  fs.copyFileSync(path.join(root, 'README.md'), path.join(dir, 'README.md'));
  execFileSync('cp', ['-r', path.join(root, 'load-tests/results'), path.join(dir, 'load-tests/results')]);
  return dir;
}

afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

describe('the capacity plan in the docs', () => {
  it('is what load-tests/nation.ts computes from the results files (run npm run capacity-doc when this fails)', () => {
    const r = check(root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is found stale when a figure in docs/capacity.md is edited by hand', () => {
    const dir = copyRoot();
    const doc = path.join(dir, 'docs/capacity.md');
    const text = fs.readFileSync(doc, 'utf8');
    const edited = text.replace(/\| signaling processes \| \*\*(\d[\d,]*)\*\*/, (_, x: string) => `| signaling processes | **${Number(x.replace(/,/g, '')) - 1}**`);
    expect(edited).not.toBe(text);
    fs.writeFileSync(doc, edited);
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('docs/capacity.md');
  });

  it('is found stale when a results file changes and the docs are not regenerated', () => {
    const dir = copyRoot();
    const file = path.join(dir, 'load-tests/results/idle-sockets.json');
    const idle = JSON.parse(fs.readFileSync(file, 'utf8')) as { results: Record<string, { steps: { rssMiB: number }[] }> };
    for (const mode of Object.values(idle.results)) for (const step of mode.steps) step.rssMiB *= 2;
    fs.writeFileSync(file, JSON.stringify(idle));
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('README.md');
  });
});
