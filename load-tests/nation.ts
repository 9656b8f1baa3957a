/**
 * The 1.5 M plan: what one national meeting of 1.5 million receive-only teachers needs, admitted
 * in 10 minutes, computed from the unit costs the benchmarks measured on this machine. No
 * measurement runs here: every figure it calls measured is read from a results file in
 * load-tests/results/ (capacity/inputs.ts names the file and field of each), and what is not
 * measured is in one list, `ASSUMED` (capacity/inputs.ts), printed with the plan.
 *
 *   node --import tsx load-tests/nation.ts                 # print the plan, write results/nation.json
 *   node --import tsx load-tests/nation.ts --docs          # also rewrite the generated blocks of docs/capacity.md and README.md (npm run capacity-doc)
 *   node --import tsx load-tests/nation.ts --check [root]  # exit 1 when those blocks differ from the plan (test/unit/capacityDoc.test.ts)
 *
 * The per-join costs come from load-tests/joinCost.ts, the per-viewer costs from viewerCost.ts,
 * sockets and memory per process from idleSockets.ts, Redis's own speed from redisCapacity.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ASSUMED, readMeasured, resultsReader } from './capacity/inputs';
import { computePlan } from './capacity/plan';
import { CAPACITY_DOC, HEADLINE_BLOCK, PLAN_BLOCK, README, renderHeadline, renderPlanBlock, replaceBlock } from './capacity/doc';
import { writeResult } from './lib';

const mode = process.argv[2];
const root = mode === '--check' ? path.resolve(process.argv[3] ?? '.') : '.';
const measured = readMeasured(resultsReader(path.join(root, 'load-tests/results')));
const plan = computePlan(measured);

const docs: [string, string, string][] = [
  [CAPACITY_DOC, PLAN_BLOCK, renderPlanBlock(plan, measured)],
  [README, HEADLINE_BLOCK, renderHeadline(plan)],
];

if (mode === '--check') {
  const stale = docs.filter(([file, block, body]) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    return replaceBlock(text, block, body) !== text;
  });
  for (const [file, block] of stale) console.error(`${file}: the ${block} block differs from what load-tests/nation.ts computes from load-tests/results; run npm run capacity-doc`);
  process.exit(stale.length ? 1 : 0);
}

if (mode === '--docs') {
  for (const [file, block, body] of docs) fs.writeFileSync(file, replaceBlock(fs.readFileSync(file, 'utf8'), block, body));
}

const file = writeResult('nation', {
  benchmark: 'nation',
  when: new Date().toISOString(),
  command: 'node --import tsx load-tests/nation.ts',
  assumed: ASSUMED,
  measured,
  plan,
});
console.log(renderPlanBlock(plan, measured));
console.log(`\n${renderHeadline(plan)}`);
console.log(`nation: wrote ${file}${mode === '--docs' ? `, ${CAPACITY_DOC}, ${README}` : ''}`);
