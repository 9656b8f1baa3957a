/**
 * Writes docs/configuration.md, the operator's reference of every `HOINGHI_*` setting, from the
 * settings fragments themselves: name, type and default from the zod schema, the doc from
 * `settingDocs` (common/env.ts). test/unit/configurationDoc.test.ts renders it again in memory and
 * fails when the committed file differs.
 *
 *   node --import tsx scripts/settings-doc.ts          # (re)write docs/configuration.md
 *   node --import tsx scripts/settings-doc.ts --check  # exit 1 when it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { settingDocs, settingTypes, type SettingDoc } from '../common/env';
import { clusterSettings } from '../common/clusterSettings';
import { sfuEnvShape } from '../sfu/config';
import { sfuNodeOwnSettings, sfuNodeSettingsSchema } from '../sfu/node/config';
import { signalingSettingsSchema } from '../signaling/config';
import { qaEnvShape } from '../signaling/qa/qaConfig';
import { serverSettings } from '../signaling/settings/server';
import { authSettings } from '../signaling/settings/auth';
import { oidcSettings } from '../signaling/settings/oidc';
import { edgeSettings } from '../signaling/settings/edge';
import { admissionSettings } from '../signaling/settings/admission';
import { meetingSettings } from '../signaling/settings/meeting';
import { databaseSettings } from '../signaling/settings/database';
import { recordingSettings } from '../signaling/settings/recording';
import { clipSettings } from '../signaling/settings/clips';
import { signalingClusterSettings } from '../signaling/settings/cluster';
import { turnSettings } from '../signaling/settings/turn';

export const DOC_PATH = 'docs/configuration.md';

/** A program that reads settings, with the schema it parses its environment against. */
export interface SettingsReader {
  name: string;
  /** How it is started. */
  started: string;
  schema: z.ZodObject;
}

export const signalingProcess: SettingsReader = {
  name: 'signaling process',
  started: '`signaling/main.ts`: the single node of `scripts/start.sh`, or each signaling process of a cluster',
  schema: signalingSettingsSchema,
};

export const sfuNodeProcess: SettingsReader = {
  name: 'SFU node',
  started: '`sfu/main.ts`: each SFU node process of a cluster',
  schema: sfuNodeSettingsSchema,
};

export const readers = [signalingProcess, sfuNodeProcess];

/**
 * Knobs of scripts that share the prefix but that no server program reads, with the script that
 * reads each (and documents it at its top). A name ending in `*` is a prefix.
 */
export const scriptKnobs: Record<string, string> = {
  'HOINGHI_CLUSTER_*': 'scripts/start-cluster.sh', // removed from the environment of the processes it starts
  HOINGHI_WORKER_VARIANT: 'scripts/build-worker.sh',
  HOINGHI_WORKER_VERIFY: 'scripts/build-worker.sh',
  HOINGHI_WORKER_JOBS: 'scripts/build-worker.sh',
  HOINGHI_WORKER_BUILD_ONLY: 'scripts/build-worker.sh',
  HOINGHI_CACHE_DIR: 'scripts/build-worker.sh',
};

/** One table of the reference: the settings of one fragment, and which programs read them. */
export interface SettingsSection {
  title: string;
  /** The file that declares them. */
  file: string;
  shape: Record<string, z.ZodType>;
  readBy: SettingsReader[];
}

export const sections: SettingsSection[] = [
  { title: 'Listeners, metrics and drain', file: 'signaling/settings/server.ts', shape: serverSettings, readBy: [signalingProcess] },
  { title: 'Sign-in, tokens and the demo', file: 'signaling/settings/auth.ts', shape: authSettings, readBy: [signalingProcess] },
  { title: 'Sign-in with the ministry\'s account (OpenID Connect)', file: 'signaling/settings/oidc.ts', shape: oidcSettings, readBy: [signalingProcess] },
  { title: 'Clients at the edge', file: 'signaling/settings/edge.ts', shape: edgeSettings, readBy: [signalingProcess] },
  { title: 'Admission and the waiting queue', file: 'signaling/settings/admission.ts', shape: admissionSettings, readBy: [signalingProcess] },
  { title: 'Meetings', file: 'signaling/settings/meeting.ts', shape: meetingSettings, readBy: [signalingProcess] },
  { title: 'Questions, polls and reactions', file: 'signaling/qa/qaConfig.ts', shape: qaEnvShape, readBy: [signalingProcess] },
  { title: 'Database and attendance', file: 'signaling/settings/database.ts', shape: databaseSettings, readBy: [signalingProcess] },
  { title: 'Recording and live HLS', file: 'signaling/settings/recording.ts', shape: recordingSettings, readBy: [signalingProcess] },
  { title: 'Clips played from the server', file: 'signaling/settings/clips.ts', shape: clipSettings, readBy: [signalingProcess] },
  { title: 'Cluster, signaling side', file: 'signaling/settings/cluster.ts', shape: signalingClusterSettings, readBy: [signalingProcess] },
  { title: 'TURN relays (schools behind firewalls)', file: 'signaling/settings/turn.ts', shape: turnSettings, readBy: [signalingProcess] },
  { title: 'SFU node: name and control endpoint', file: 'sfu/node/config.ts', shape: sfuNodeOwnSettings, readBy: [sfuNodeProcess] },
  { title: 'Media: mediasoup workers', file: 'sfu/config.ts', shape: sfuEnvShape, readBy: [signalingProcess, sfuNodeProcess] },
  { title: 'Cluster: Redis and the SFU secret', file: 'common/clusterSettings.ts', shape: clusterSettings, readBy: [signalingProcess, sfuNodeProcess] },
];

/** A setting's schema from the outside in: wrappers (default, optional, …) first, the value type last. */
function layers(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  let s: z.ZodType | undefined = schema;
  while (s) {
    out.push(s);
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else s = undefined;
  }
  return out;
}

/** The setting's doc, merged from every layer (the outermost wins). */
export function settingDoc(schema: z.ZodType): SettingDoc | undefined {
  const found = layers(schema)
    .map((s) => settingDocs.get(s))
    .filter((d): d is SettingDoc => d !== undefined);
  return found.length === 0 ? undefined : Object.assign({}, ...found.reverse());
}

const num = (n: number): string => n.toLocaleString('en-US');

interface Check {
  check: string;
  value?: number;
  inclusive?: boolean;
  format?: string;
  minimum?: number;
}

function checksOf(s: z.ZodType): Check[] {
  return (s._zod.def.checks ?? []).map((c) => c._zod.def as unknown as Check);
}

/** The value type as the reference shows it. */
export function settingType(schema: z.ZodType): string {
  const all = layers(schema);
  const doc = settingDoc(schema);
  if (doc?.type) return doc.type;
  for (const s of all) {
    const named = settingTypes.get(s);
    if (named) return named.type;
  }
  const base = all[all.length - 1]!;
  if (base instanceof z.ZodNumber) {
    const checks = checksOf(base);
    const integer = checks.some((c) => c.check === 'number_format' && c.format === 'safeint');
    const lo = checks.find((c) => c.check === 'greater_than');
    const hi = checks.find((c) => c.check === 'less_than');
    const kind = integer ? 'integer' : 'number';
    if (lo && hi && lo.inclusive && hi.inclusive) return `${kind}, ${num(lo.value!)} to ${num(hi.value!)}`;
    const bounds = [lo && `${lo.inclusive ? '≥' : '>'} ${num(lo.value!)}`, hi && `${hi.inclusive ? '≤' : '<'} ${num(hi.value!)}`].filter(Boolean);
    return bounds.length ? `${kind}, ${bounds.join(', ')}` : kind;
  }
  if (base instanceof z.ZodEnum) return base.options.map((o) => `\`${String(o)}\``).join(' or ');
  if (base instanceof z.ZodString) {
    const checks = checksOf(base);
    if (checks.some((c) => c.check === 'string_format' && c.format === 'url')) return 'URL';
    const pattern = checks.find((c) => c.check === 'string_format' && c.format === 'regex') as { pattern?: RegExp } | undefined;
    if (pattern?.pattern) return `string matching \`${pattern.pattern.source}\``;
    const min = checks.find((c) => c.check === 'min_length')?.minimum;
    if (min !== undefined && min > 1) return `string, at least ${min} characters`;
    return min === 1 ? 'string, not empty' : 'string';
  }
  throw new Error(`settings-doc: no way to name the type of a ${base._zod.def.type} setting; give it a \`type\` in its doc`);
}

function shownValue(v: unknown): string {
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

/** The default as the reference shows it: a value, `unset`, or `required`. */
export function settingDefault(schema: z.ZodType): string {
  const doc = settingDoc(schema);
  if (doc?.shownDefault) return doc.shownDefault;
  for (const s of layers(schema)) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return shownValue(s._zod.def.defaultValue);
    if (s instanceof z.ZodOptional) return 'unset';
  }
  return 'required';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** GitHub's anchor for a heading. */
const anchor = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');

function table(section: SettingsSection): string[] {
  const rows = ['| Setting | Type | Default | What it does |', '|---|---|---|---|'];
  for (const name of Object.keys(section.shape)) {
    const perReader = section.readBy.map((r) => {
      const schema = r.schema.shape[name] as z.ZodType | undefined;
      if (!schema) throw new Error(`settings-doc: ${name} (${section.file}) is not in the ${r.name}'s schema`);
      return { reader: r, schema };
    });
    const first = perReader[0]!.schema;
    const doc = settingDoc(first);
    if (!doc) throw new Error(`settings-doc: ${name} (${section.file}) has no doc: register one in settingDocs`);
    const defaults = perReader.map((p) => ({ name: p.reader.name, shown: settingDefault(p.schema) }));
    const shownDefault = defaults.every((d) => d.shown === defaults[0]!.shown)
      ? defaults[0]!.shown
      : defaults.map((d) => `${d.name}: ${d.shown}`).join('; ');
    rows.push(`| \`${name}\` | ${cell(settingType(first))} | ${cell(shownDefault)} | ${cell(doc.doc)} |`);
  }
  return rows;
}

function sectionBlock(section: SettingsSection): string[] {
  return [`### ${section.title}`, '', `Declared in \`${section.file}\`.`, '', ...table(section), ''];
}

export function renderConfigurationDoc(): string {
  const only = (r: SettingsReader) => sections.filter((s) => s.readBy.length === 1 && s.readBy[0] === r);
  const shared = sections.filter((s) => s.readBy.length > 1);
  const count = (r: SettingsReader) => Object.keys(r.schema.shape).length;
  const total = new Set(readers.flatMap((r) => Object.keys(r.schema.shape))).size;
  const mark = (s: SettingsSection, r: SettingsReader) => (s.readBy.includes(r) ? 'yes' : '');
  const scripts = [...new Set(Object.values(scriptKnobs))];
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated by scripts/settings-doc.ts from the settings schemas; do not edit by hand.',
    '     Change a setting\'s doc where it is declared, then run `npm run settings-doc`. -->',
    '',
    `Every setting is an environment variable named \`HOINGHI_*\` (${total} in all). Each program reads its`,
    'environment once, at start-up, against one zod schema: defaults, then the variables that are set.',
    'An unknown `HOINGHI_*` name or an invalid value stops the program with a message naming it (exit',
    'code 2), so a misspelt setting never goes unnoticed.',
    '',
    '| Program | Started as | Settings |',
    '|---|---|---|',
    ...readers.map((r) => `| ${r.name} | ${r.started} | ${count(r)} |`),
    '',
    'Set them in the environment of the program: on the command line (`HOINGHI_PORT=8080',
    'scripts/start.sh`), in the `Environment=` lines of a systemd unit, or in your orchestrator\'s',
    'equivalent. `scripts/start.sh` turns `HOINGHI_DEMO_SIGNIN` on and puts the embedded database in',
    '`./data` unless told otherwise. `scripts/start-cluster.sh` sets what each process of its cluster',
    'needs (ports, Redis, the database, the secrets) and passes the rest of its environment on to every',
    'process; an SFU node refuses a setting it does not read (the tables below say which program reads',
    'which).',
    '',
    '- Booleans are `true`/`false` (or `1`/`0`). Units are in the names: `_MS` milliseconds, `_S`',
    '  seconds, `_MB` MiB.',
    '- A folder or file setting may be relative: it is made absolute against the working directory',
    '  once, at start-up.',
    '- Secrets (`HOINGHI_JWT_SECRET`, `HOINGHI_SFU_SECRET`, `HOINGHI_ADMISSION_SECRET`) have at least 32',
    '  characters; give every process of a cluster the same ones.',
    '- Scripts, tests and benchmarks have knobs of their own with the same prefix, documented where',
    '  they are read. A server program refuses to start on a name it does not read (a typo stops',
    '  it); `scripts/start.sh` and `scripts/start-cluster.sh` give each program only its own, so one',
    '  environment may hold them all (`start-cluster.sh` stops on a name that nothing reads).',
    ...scripts.map((script) => `  - \`${script}\`: ${Object.keys(scriptKnobs).filter((k) => scriptKnobs[k] === script).map((k) => `\`${k}\``).join(', ')}`),
    '  - the tests and benchmarks: `HOINGHI_MODEL_SEED`, `HOINGHI_FUZZ_RUNS`, `HOINGHI_SCREENSHOTS` and a few more.',
    '',
    '| Settings | Signaling process | SFU node |',
    '|---|---|---|',
    ...sections.map((s) => `| [${s.title}](#${anchor(s.title)}) | ${mark(s, signalingProcess)} | ${mark(s, sfuNodeProcess)} |`),
    '',
    '## Signaling process',
    '',
    `Started as ${signalingProcess.started}. Besides the tables of this part, it reads the`,
    `[media settings](#${anchor('Media: mediasoup workers')}) (for its own mediasoup workers, with \`HOINGHI_SFU=local\`)`,
    `and the [cluster settings](#${anchor('Cluster: Redis and the SFU secret')}).`,
    '',
    ...only(signalingProcess).flatMap(sectionBlock),
    '## SFU node',
    '',
    `Started as ${sfuNodeProcess.started}. Besides the table of this part, it reads the`,
    `[media settings](#${anchor('Media: mediasoup workers')}) and the [cluster settings](#${anchor('Cluster: Redis and the SFU secret')}).`,
    '',
    ...only(sfuNodeProcess).flatMap(sectionBlock),
    '## Read by both',
    '',
    ...shared.flatMap(sectionBlock),
  ];
  return lines.join('\n');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const file = path.join(root, DOC_PATH);
  const text = renderConfigurationDoc();
  if (process.argv.includes('--check')) {
    const current = readFileSync(file, 'utf8');
    if (current !== text) {
      console.error(`${DOC_PATH} is stale: run node --import tsx scripts/settings-doc.ts`);
      process.exit(1);
    }
    console.log(`${DOC_PATH} is up to date`);
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${DOC_PATH}`);
  }
}
