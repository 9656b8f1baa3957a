/**
 * Metric names in PromQL expressions and in a Prometheus text exposition, so that a test can hold
 * alert rules and dashboards to the metrics a server really serves. Deliberately simple: strings,
 * label matchers, range and subquery brackets and grouping clauses are cut out, then every
 * identifier left that is not a function (followed by `(`) or a keyword is a metric name.
 */

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/** The metric names one PromQL expression reads. */
export function metricNames(expr: string): string[] {
  const cut = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of cut.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = cut.slice(m.index + m[0].length);
    const before = cut.slice(0, m.index);
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (/[0-9.]$/.test(before)) continue; // the exponent or suffix of a number (1e3, 0x1F)
    names.add(m[0]);
  }
  return [...names];
}

/**
 * Every series name a Prometheus text exposition offers: each `# TYPE` family (a labelled family
 * with no sample yet is still served), with the `_bucket`/`_sum`/`_count` series of histograms
 * and summaries.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** The values of the samples of `name` whose labels include `labels`. */
export function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) out.push(Number(m[3]));
  }
  return out;
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name, labels).reduce((a, b) => a + b, 0);
}
