/**
 * The operators' view (deploy/prometheus, deploy/grafana): the alert rules pass promtool's check
 * and their unit tests; every metric the rules and the dashboard name is one a running cluster
 * serves (real redis-server, a real SFU node process, a signaling node in cluster mode); and the
 * metrics added for them move when what they measure happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HoinghiServer } from '../../signaling/server';
import type { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { startServer } from '../../harness/server';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';
import { joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { exposedNames, metricNames, sampleSum, samples } from '../helpers/promql';

const run = promisify(execFile);
const RULES = path.resolve('deploy/prometheus/hoinghi-alerts.yml');
const RULE_TESTS = path.resolve('deploy/prometheus/hoinghi-alerts.test.yml');
const DASHBOARD = path.resolve('deploy/grafana/hoinghi-meeting.json');
/** Series Prometheus makes itself for every scrape target: not served by the application. */
const SCRAPE_SERIES = new Set(['up']);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
/** The rules of a rules file, read by Debian's python3-yaml (the project has no YAML parser of its own). */
function rules(file = RULES): Rule[] {
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  return (JSON.parse(json) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
}

interface Panel {
  type: string;
  id: number;
  title: string;
  datasource?: { uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid?: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string }[] };
}
const dashboard = (): Dashboard => JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const dashboardExprs = (d: Dashboard): string[] => d.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

/** Names the expressions use that the exposition does not offer. */
function unknownMetrics(exprs: string[], exposed: Set<string>): string[] {
  return [...new Set(exprs.flatMap(metricNames))].filter((n) => !exposed.has(n) && !SCRAPE_SERIES.has(n)).sort();
}

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the alert rules', () => {
  it('pass promtool check rules, and every alert has a for, a severity, a summary and a description', async () => {
    const { code, out } = await promtool('check', 'rules', RULES);
    expect(out).toContain('SUCCESS');
    expect(code).toBe(0);
    const alerts = rules().filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(15);
    for (const r of alerts) {
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect((r.annotations?.description ?? '').length, r.alert).toBeGreaterThan(60);
    }
  });

  it('fire on sick series and stay quiet on healthy ones (promtool test rules)', async () => {
    const { code, out } = await promtool('test', 'rules', RULE_TESTS);
    expect(out).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('unit tests that fail when an alert is broken (a Redis alert that can never fire)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rules-'));
    try {
      const broken = fs.readFileSync(RULES, 'utf8').replace('expr: hoinghi_redis_up == 0', 'expr: hoinghi_redis_up == 2');
      expect(broken).not.toBe(fs.readFileSync(RULES, 'utf8'));
      fs.writeFileSync(path.join(dir, 'hoinghi-alerts.yml'), broken);
      fs.copyFileSync(RULE_TESTS, path.join(dir, 'hoinghi-alerts.test.yml'));
      const { code, out } = await promtool('test', 'rules', path.join(dir, 'hoinghi-alerts.test.yml'));
      expect(code).not.toBe(0);
      expect(out).toContain('HoinghiRedisUnreachable');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard', () => {
  it('is a Grafana dashboard: a Prometheus datasource variable, and every panel queries through it', () => {
    const d = dashboard();
    expect(d.uid).toBe('hoinghi-meeting');
    const ds = d.templating.list.find((v) => v.type === 'datasource');
    expect(ds?.query).toBe('prometheus');
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const graphs = d.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    for (const p of graphs) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.datasource?.uid, p.title).toBe(`\${${ds!.name}}`);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr.trim(), p.title).not.toBe('');
        expect(t.datasource?.uid, p.title).toBe(`\${${ds!.name}}`);
      }
    }
    // What the issue asks the dashboard to show, by metric.
    const named = new Set(dashboardExprs(d).flatMap(metricNames));
    for (const m of ['hoinghi_joins_total', 'hoinghi_participants', 'hoinghi_worker_cpu_seconds_total', 'hoinghi_node_consumer_scores', 'hoinghi_join_waiting', 'hoinghi_redis_up', 'hoinghi_live_hls_segment_age_seconds']) {
      expect(named, m).toContain(m);
    }
  });
});

describe('a running cluster', () => {
  let redis: RedisProcess;
  let node: SfuNodeProcess;
  let server: HoinghiServer;
  let host: Publisher | undefined;
  const viewers: Viewer[] = [];
  const scrape = async (): Promise<string> => {
    const res = await fetch(server.metricsUrl);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    redis = await startRedis();
    node = await startSfuNode(redis.url, 'sfu-a');
    server = await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET });
    await until(() => (server.sfu as ClusterSfu).clusterStats().nodes.length === 1, { timeoutMs: 20_000, what: 'the SFU node discovered' });
  }, 120_000);

  afterAll(async () => {
    host?.socket.close();
    for (const v of viewers) v.socket.close();
    await server?.close();
    await node?.stop();
    await redis?.stop();
  });

  it('serves every metric the alert rules and the dashboard name', async () => {
    const exposed = exposedNames(await scrape());
    expect(unknownMetrics(rules().map((r) => r.expr), exposed)).toEqual([]);
    expect(unknownMetrics(dashboardExprs(dashboard()), exposed)).toEqual([]);
  });

  it('and the check catches a rule that names a metric the server does not serve', async () => {
    const exposed = exposedNames(await scrape());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rules-'));
    try {
      const file = path.join(dir, 'rules.yml');
      const bogus = `      - alert: Bogus\n        expr: rate(hoinghi_bogus_drops_total{node="a"}[5m]) > 0 and on (node) hoinghi_sfu_nodes > 0\n        for: 1m\n`;
      fs.writeFileSync(file, fs.readFileSync(RULES, 'utf8').trimEnd() + '\n' + bogus);
      expect(unknownMetrics(rules(file).map((r) => r.expr), exposed)).toEqual(['hoinghi_bogus_drops_total']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts participants by role and province, with the province name', async () => {
    expect(samples(await scrape(), 'hoinghi_participants')).toEqual([]);
    host = await joinAndPublish(server);
    for (const province of ['01', '01', '79']) viewers.push(await joinAsViewer(server, { province }));
    const text = await scrape();
    expect(sampleSum(text, 'hoinghi_participants', { role: 'teacher', province: '01', province_name: 'Hà Nội' })).toBe(2);
    expect(sampleSum(text, 'hoinghi_participants', { role: 'teacher', province: '79', province_name: 'Thành phố Hồ Chí Minh' })).toBe(1);
    expect(sampleSum(text, 'hoinghi_participants', { role: 'host', province: 'none' })).toBe(1);
  });

  it("counts the SFU node's sending consumers by score, from the node's own load reports", async () => {
    // Each viewer consumes the host's camera and microphone, both resumed.
    const sending = viewers.reduce((n, v) => n + v.consumers.length, 0);
    expect(sending).toBe(6);
    const text = await until(async () => {
      const t = await scrape();
      return sampleSum(t, 'hoinghi_node_consumer_scores', { node: 'sfu-a' }) === sending ? t : null;
    }, { timeoutMs: 15_000, what: 'the node to report six sending consumers' });
    expect(samples(text, 'hoinghi_node_consumer_scores', { node: 'sfu-a' })).toHaveLength(11);
  });

  it('counts datagrams the kernel drops at a full UDP receive buffer on the host', async () => {
    const before = sampleSum(await scrape(), 'hoinghi_host_udp_receive_buffer_errors_total');
    // A receiver that never reads, with the smallest buffer the kernel allows.
    const sink: ChildProcess = spawn('python3', ['-c', [
      'import socket, sys, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)',
      "s.bind(('127.0.0.1', 0))",
      'print(s.getsockname()[1], flush=True)',
      'time.sleep(120)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        sink.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
        sink.once('exit', (code) => reject(new Error(`the UDP sink exited with ${code}`)));
      });
      const sender = dgram.createSocket('udp4');
      const payload = Buffer.alloc(1000);
      try {
        await until(async () => {
          for (let i = 0; i < 200; i += 1) await new Promise<void>((r) => sender.send(payload, port, '127.0.0.1', () => r()));
          return sampleSum(await scrape(), 'hoinghi_host_udp_receive_buffer_errors_total') > before;
        }, { what: 'the host receive-buffer drops to rise' });
      } finally {
        sender.close();
      }
    } finally {
      sink.kill('SIGKILL');
    }
  });

  // Last: it takes Redis away from the whole cluster for a moment.
  it('shows Redis down while it is down, and the connection lost once it is back', async () => {
    let text = await scrape();
    expect(sampleSum(text, 'hoinghi_redis_up')).toBe(1);
    expect(sampleSum(text, 'hoinghi_redis_connection_losses_total')).toBe(0);
    await redis.stop();
    await until(async () => sampleSum(await scrape(), 'hoinghi_redis_up') === 0, { what: 'hoinghi_redis_up to read 0' });
    await redis.restart();
    text = await until(async () => {
      const t = await scrape();
      return sampleSum(t, 'hoinghi_redis_up') === 1 ? t : null;
    }, { timeoutMs: 30_000, what: 'hoinghi_redis_up to read 1 again' });
    expect(sampleSum(text, 'hoinghi_redis_connection_losses_total')).toBe(1);
  }, 60_000);
});
