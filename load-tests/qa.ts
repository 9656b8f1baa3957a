/**
 * Questions benchmark: N socket.io clients on one node (memory store) ask questions at a set rate,
 * then vote for them at a set rate, while a national host watches the Q&A (summaries in top
 * order). Reports the question submissions/s and votes/s sustained (acknowledged), the latency
 * from a vote to the first host summary that includes it (p50/p99: the vote's ack carries its
 * change number, each summary the one it reflects), the host's inbound messages/s (bounded by the
 * throttle, whatever the vote rate), the server's CPU and event-loop delay.
 *
 *   node --import tsx load-tests/qa.ts [--clients 5000] [--ask-rate 200] [--ask-seconds 10] [--vote-rate 1000] [--vote-seconds 20]
 * The node runs in its own process on 127.0.0.1; the run stops by itself.
 * Writes load-tests/results/qa.json.
 */
import { parseArgs } from 'node:util';
import type { QaHostSummary } from '../signaling/protocol/qa';
import { BENCH_SECRET, botToken, connectBot, cpuSeconds, emitAck, joinBots, machine, metricValue, percentile, runBenchmark, startNode, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    'ask-rate': { type: 'string', default: '200' },
    'ask-seconds': { type: 'string', default: '10' },
    'vote-rate': { type: 'string', default: '1000' },
    'vote-seconds': { type: 'string', default: '20' },
  },
});
const CLIENTS = Number(values.clients);
const ASK_RATE = Number(values['ask-rate']);
const ASK_SECONDS = Number(values['ask-seconds']);
const VOTE_RATE = Number(values['vote-rate']);
const VOTE_SECONDS = Number(values['vote-seconds']);
const SUMMARY_MS = 500;
const MEETING = 'bench-qa';
const token = (sub: string, role: string, province: string | null): string => botToken(MEETING, sub, role, province);

/** Sends `total` operations at `rate` per second (never more than 2,000 unanswered). */
async function paced(rate: number, seconds: number, op: () => Promise<void>): Promise<{ sent: number; ok: number; errors: number; seconds: number }> {
  const total = rate * seconds;
  const interval = 1000 / rate;
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let inFlight = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval));
      while (sent < due && inFlight < 2_000) {
        sent += 1;
        inFlight += 1;
        op().then(
          () => (ok += 1),
          () => (errors += 1),
        ).finally(() => {
          inFlight -= 1;
          if (sent >= total && inFlight === 0) resolve();
        });
      }
      if (sent < total) setTimeout(tick, 2);
    };
    tick();
  });
  return { sent, ok, errors, seconds: (performance.now() - start) / 1000 };
}

async function main(): Promise<void> {
  const node = await startNode({
    HOINGHI_PORT: '0',
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_WORKERS: '1',
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_JOIN_RATE: '100000',
    HOINGHI_JOIN_BURST: '100000',
    HOINGHI_MAX_PENDING_PER_IP: '1000000',
    HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
    HOINGHI_QA_SUMMARY_MS: String(SUMMARY_MS),
    HOINGHI_QA_MAX_QUESTIONS: '100000',
  });
  const pid = node.child.pid!;
  try {
    console.log(`node at ${node.url} (pid ${pid}); connecting ${CLIENTS} clients…`);
    const host = await connectBot(node.url, token('bench-host', 'host', null));
    const summaries: { seq: number; at: number }[] = [];
    let hostInbound = 0;
    host.onAny(() => (hostInbound += 1));
    host.on('qaHost', (s: QaHostSummary) => summaries.push({ seq: s.seq, at: performance.now() }));
    await emitAck(host, 'join', { meetingId: MEETING });
    await emitAck(host, 'qaWatch', { sort: 'top', province: null });

    const t0 = performance.now();
    const bots = await joinBots(node.url, MEETING, CLIENTS);
    const joinSeconds = (performance.now() - t0) / 1000;
    console.log(`${CLIENTS} clients joined in ${joinSeconds.toFixed(1)} s; asking ${ASK_RATE}/s for ${ASK_SECONDS} s…`);

    await fetch(`${node.url}/metrics`); // resets the event-loop histogram
    const cpu0 = cpuSeconds(pid);
    const askWall0 = performance.now();
    // Asks go round the bots, so that no one exceeds the per-teacher limits.
    const questions: { id: string; author: number }[] = [];
    let nextAsker = 0;
    const asks = await paced(ASK_RATE, ASK_SECONDS, async () => {
      const author = nextAsker++ % CLIENTS;
      const r = await emitAck<{ question: { id: string } }>(bots[author]!, 'qaAsk', { text: `Câu hỏi số ${author}: lịch tập huấn giáo viên năm học mới?` });
      questions.push({ id: r.question.id, author });
    });
    const askCpu = cpuSeconds(pid) - cpu0;
    const askWall = (performance.now() - askWall0) / 1000;
    console.log(`asked: ${asks.ok} ok, ${asks.errors} errors; voting ${VOTE_RATE}/s for ${VOTE_SECONDS} s…`);

    const votes: { seq: number; sentAt: number }[] = [];
    const inbound0 = hostInbound;
    const summaries0 = summaries.length;
    const cpu1 = cpuSeconds(pid);
    const voteWall0 = performance.now();
    // Each bot votes in order through the questions; never its own (a vote a bot already gave would change nothing).
    const cursor = new Array<number>(CLIENTS).fill(0);
    let nextVoter = 0;
    const voteRun = await paced(VOTE_RATE, VOTE_SECONDS, async () => {
      const voter = nextVoter++ % CLIENTS;
      let q = questions[cursor[voter]! % questions.length]!;
      if (q.author === voter) q = questions[++cursor[voter]! % questions.length]!;
      cursor[voter]! += 1;
      const sentAt = performance.now();
      const r = await emitAck<{ seq: number; changed: boolean }>(bots[voter]!, 'qaVote', { questionId: q.id });
      if (r.changed) votes.push({ seq: r.seq, sentAt });
    });
    await new Promise((r) => setTimeout(r, 1_500)); // the last summary
    const voteWall = (performance.now() - voteWall0) / 1000;
    const voteCpu = cpuSeconds(pid) - cpu1;
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const hostMessages = hostInbound - inbound0;
    const hostSummaries = summaries.length - summaries0;

    const latencies: number[] = [];
    let s = 0;
    for (const v of votes.sort((a, b) => a.seq - b.seq)) {
      while (s < summaries.length && summaries[s]!.seq < v.seq) s += 1;
      if (s < summaries.length) latencies.push(summaries[s]!.at - v.sentAt);
    }
    latencies.sort((a, b) => a - b);
    const lag = (name: string): number => Math.round((metricValue(metrics, `hoinghi_process_nodejs_eventloop_lag_${name}_seconds`) ?? NaN) * 1e4) / 10;
    const result = {
      benchmark: 'questions: asks and votes sustained, vote → host summary',
      date: new Date().toISOString(),
      machine: machine(),
      store: 'memory (one node)',
      clients: CLIENTS,
      joinSeconds: Math.round(joinSeconds * 10) / 10,
      asks: { target: ASK_RATE, seconds: ASK_SECONDS, sent: asks.sent, ok: asks.ok, errors: asks.errors, sustainedPerSecond: Math.round(asks.ok / askWall) },
      votes: { target: VOTE_RATE, seconds: VOTE_SECONDS, sent: voteRun.sent, ok: voteRun.ok, counted: votes.length, errors: voteRun.errors, sustainedPerSecond: Math.round(voteRun.ok / voteRun.seconds) },
      voteToHostSummaryMs: {
        measured: latencies.length,
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies.at(-1) ?? NaN),
      },
      summaryIntervalMs: SUMMARY_MS,
      host: {
        inboundMessagesPerSecond: Math.round((hostMessages / voteWall) * 10) / 10,
        summariesPerSecond: Math.round((hostSummaries / voteWall) * 10) / 10,
        votesPerHostSummary: Math.round(votes.length / Math.max(1, hostSummaries)),
      },
      serverCpuPercentOfOneCore: { asking: Math.round((askCpu / askWall) * 1000) / 10, voting: Math.round((voteCpu / voteWall) * 1000) / 10 },
      serverEventLoopDelayMs: { p50: lag('p50'), p99: lag('p99'), max: lag('max') },
    };
    const path = writeResult('qa', result);
    console.log(JSON.stringify(result, null, 2));
    console.log(`→ ${path}`);
    host.close();
    for (const b of bots) b.close();
  } finally {
    await node.stop();
  }
}

runBenchmark(main);
