/**
 * Where the mediasoup worker spends its time per forwarded packet: N node-datachannel
 * WebRTC viewers on one worker pinned to core 0, set up as `load-tests/viewerCost.ts` does for one
 * profile, then `perf record` (cpu-clock, call graphs) of the worker process for S seconds.
 *
 * The samples are bucketed by where they land and what called them:
 * - kernel, UDP send path (`sendmsg`/`sendmmsg` system calls), split into the sender's own work
 *   and the loopback delivery into the receiving socket that the kernel runs in the sender's
 *   context (`__netif_receive_skb` and below: on a real NIC that half is not charged to the SFU);
 * - kernel, UDP receive path (`recvmsg`: the host's media, the viewers' RTCP), epoll, other;
 * - OpenSSL (libcrypto: AES-GCM of SRTP), libsrtp (statically linked into the worker);
 * - the worker's own code, with its top functions by self and by inclusive time;
 * - libuv, libc (memcpy, malloc), libstdc++.
 * Each bucket is also given in ns of worker CPU per RTP packet delivered to a viewer, measured in
 * the same window (the worker's CPU from /proc, the bots' packet counters).
 *
 * Usage: node --import tsx load-tests/workerProfile.ts [viewers=100] [seconds=20] [profile=mass|today]
 * - WORKER_BIN=path: the worker binary. Default: the frame-pointer build of the patched worker
 *   (`HOINGHI_WORKER_FRAME_POINTERS=1 HOINGHI_WORKER_VERIFY=0 scripts/build-worker.sh`) if cached,
 *   else the installed one (then call graphs are DWARF-unwound: set CALL_GRAPH=dwarf).
 * - CALL_GRAPH=fp|dwarf (default fp), PERF_FREQ (default 1999 Hz for fp, 499 for dwarf).
 * - OUT=name: results file stem (default worker-profile-<profile>).
 * Needs `perf` (Debian linux-perf) and root or perf_event_paranoid ≤ 1.
 * Writes load-tests/results/<OUT>.json (breakdown) and <OUT>.folded (stacks root first, counts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { cpuSeconds, machine, runBenchmark, writeResult } from './lib';
import { BenchNode, pinOffWorker } from './benchServer';
import { clipPath, makeClips } from './viewerClips';

const VIEWERS = Number(process.argv[2] ?? 100);
const SECONDS = Number(process.argv[3] ?? 20);
const PROFILE = (process.argv[4] ?? 'mass') as 'mass' | 'today';
const CALL_GRAPH = process.env.CALL_GRAPH === 'dwarf' ? 'dwarf' : 'fp';
const FREQ = Number(process.env.PERF_FREQ ?? (CALL_GRAPH === 'dwarf' ? 499 : 1999));
const OUT = process.env.OUT ?? `worker-profile-${PROFILE}`;
const MEETING = 'bench-worker-profile';

const PROFILES = {
  mass: { name: 'mass audience (360p 500 kbps, Opus 60 ms + DTX, REMB)', layer: 'middle', ptime: 60, dtx: true, transportCc: false },
  today: { name: 'today (720p 1.2 Mbps, Opus 20 ms, transport-cc)', layer: 'top', ptime: 20, dtx: false, transportCc: true },
} as const;

const msWorker = createRequire(import.meta.url)('mediasoup/node/lib/Worker.js') as { workerBin: string };

function workerBin(): string {
  if (process.env.WORKER_BIN) return process.env.WORKER_BIN;
  const fp = execFileSync('bash', ['scripts/build-worker.sh', '--print-bin'], { env: { ...process.env, HOINGHI_WORKER_FRAME_POINTERS: '1' } }).toString().trim();
  return fp || msWorker.workerBin;
}

/** One sample's stack, leaf first. */
type Frame = { sym: string; dso: string };

/** Parses `perf script -F comm,ip,sym,dso` output into stacks (leaf first). */
function parsePerfScript(text: string): Frame[][] {
  const stacks: Frame[][] = [];
  let cur: Frame[] | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('\t') || line.startsWith(' ')) {
      const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(line);
      if (m && cur) cur.push({ sym: shortSym(m[1]!), dso: shortDso(m[2]!) });
    } else if (line.trim() === '') {
      if (cur && cur.length) stacks.push(cur);
      cur = null;
    } else {
      if (cur && cur.length) stacks.push(cur);
      cur = [];
    }
  }
  if (cur && cur.length) stacks.push(cur);
  return stacks;
}

/** `RTC::Foo::Bar(RTC::RtpPacket*, ...)+0x12` → `RTC::Foo::Bar`. */
function shortSym(s: string): string {
  let sym = s.replace(/\+0x[0-9a-f]+$/, '').trim();
  if (sym.startsWith('operator')) return sym;
  const paren = sym.indexOf('(');
  if (paren > 0) sym = sym.slice(0, paren);
  return sym.replace(/;/g, ',') || '[unknown]';
}

function shortDso(d: string): string {
  if (d.includes('kernel')) return 'kernel';
  if (d.includes('mediasoup-worker')) return 'worker';
  const base = d.split('/').pop() ?? d;
  return base.replace(/\.so(\.[0-9.]+)?$/, '');
}

const SEND_SYSCALLS = ['__sys_sendmsg', '__sys_sendmmsg', '___sys_sendmsg', 'udp_sendmsg', '__x64_sys_sendmmsg', '__x64_sys_sendmsg'];
const RECV_SYSCALLS = ['__sys_recvmsg', '___sys_recvmsg', 'udp_recvmsg', '__x64_sys_recvmsg', '__x64_sys_recvmmsg'];
const LOOPBACK_DELIVERY = ['__netif_receive_skb', '__netif_receive_skb_core', 'process_backlog', 'net_rx_action', 'ip_local_deliver', 'udp_rcv'];

function bucket(stack: Frame[]): string {
  const leaf = stack[0]!;
  const has = (names: string[]) => stack.some((f) => names.includes(f.sym));
  if (leaf.dso === 'kernel') {
    if (has(SEND_SYSCALLS)) return has(LOOPBACK_DELIVERY) ? 'kernel: loopback delivery to the receiver (in the send call)' : 'kernel: UDP send (sender side)';
    if (has(RECV_SYSCALLS)) return 'kernel: UDP receive';
    if (has(['do_epoll_wait', 'ep_poll', '__x64_sys_epoll_wait'])) return 'kernel: epoll';
    return 'kernel: other (timers, interrupts, scheduling)';
  }
  if (leaf.dso === 'inlined') return 'inlined leaf frames (mostly memcpy)';
  if (leaf.dso.startsWith('libcrypto')) return 'OpenSSL (AES-GCM, SRTP)';
  if (leaf.dso === 'worker') return leaf.sym.startsWith('srtp_') || leaf.sym.startsWith('cipher_') ? 'libsrtp' : 'worker code';
  if (leaf.dso.startsWith('libuv')) return 'libuv';
  if (leaf.dso.startsWith('libc')) return 'libc (memcpy, malloc, ...)';
  if (leaf.dso.startsWith('libstdc++')) return 'libstdc++';
  return `other (${leaf.dso})`;
}

async function main(): Promise<void> {
  makeClips();
  const profile = PROFILES[PROFILE];
  if (!profile) throw new Error(`profile must be mass or today, not ${PROFILE}`);
  const bin = workerBin();
  msWorker.workerBin = bin;
  console.log(`worker-profile: ${VIEWERS} viewers, ${SECONDS} s, ${profile.name}, worker ${bin}, call graph ${CALL_GRAPH} at ${FREQ} Hz`);
  const bench = await BenchNode.start();
  const data = `/tmp/hoinghi-${OUT}-${process.pid}.perf.data`;
  try {
    const wpid = bench.workerPid;
    await bench.publish({ meetingId: MEETING, clip: clipPath(profile.layer, profile.ptime), dtx: profile.dtx, minForwarded: 60 });
    const bots = await bench.joinViewers({ meetingId: MEETING, count: VIEWERS, name: (i) => `bot-${i}`, viewer: { transportCc: profile.transportCc } });
    const rtp = () => bench.viewerTotals().rtp;
    const r0 = rtp();
    const c0 = cpuSeconds(wpid);
    const t0 = performance.now();
    const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(FREQ), '--call-graph', CALL_GRAPH === 'dwarf' ? 'dwarf,16384' : 'fp', '-p', String(wpid), '-o', data, '--', 'sleep', String(SECONDS)], { stdio: ['ignore', 'inherit', 'inherit'] });
    pinOffWorker(perf.pid);
    const code = await new Promise<number | null>((r) => perf.once('exit', r));
    if (code !== 0) throw new Error(`perf record exited with ${code}`);
    const dt = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(wpid) - c0) / dt;
    const rtpPerS = (rtp() - r0) / dt;

    console.log('worker-profile: reading the samples');
    const text = execFileSync('perf', ['script', '-i', data, '-F', 'comm,ip,sym,dso'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const stacks = parsePerfScript(text);
    const n = stacks.length;
    const pct = (x: number) => +((100 * x) / Math.max(1, n)).toFixed(2);
    const nsPerPacket = (x: number) => +((1e9 * cpu * (x / Math.max(1, n))) / Math.max(1, rtpPerS)).toFixed(1);

    const buckets = new Map<string, number>();
    const self = new Map<string, number>();
    const incl = new Map<string, number>();
    const folded = new Map<string, number>();
    for (const s of stacks) {
      const b = bucket(s);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
      const leafKey = `${s[0]!.sym} [${s[0]!.dso}]`;
      self.set(leafKey, (self.get(leafKey) ?? 0) + 1);
      for (const f of new Set(s.filter((f) => f.dso === 'worker' || f.dso.startsWith('libuv')).map((f) => `${f.sym} [${f.dso}]`))) incl.set(f, (incl.get(f) ?? 0) + 1);
      const line = s.map((f) => f.sym).reverse().join(';');
      folded.set(line, (folded.get(line) ?? 0) + 1);
    }
    const sorted = (m: Map<string, number>, k: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
    const breakdown = sorted(buckets, 50).map(([what, c]) => ({ what, pct: pct(c), nsPerPacket: nsPerPacket(c) }));
    const topSelf = sorted(self, 40).map(([fn, c]) => ({ fn, pct: pct(c), nsPerPacket: nsPerPacket(c) }));
    const topWorkerSelf = sorted(new Map([...self].filter(([k]) => k.endsWith('[worker]'))), 30).map(([fn, c]) => ({ fn, pct: pct(c), nsPerPacket: nsPerPacket(c) }));
    const topInclusive = sorted(incl, 50).map(([fn, c]) => ({ fn, pct: pct(c), nsPerPacket: nsPerPacket(c) }));

    fs.mkdirSync('load-tests/results', { recursive: true });
    fs.writeFileSync(`load-tests/results/${OUT}.folded`, [...folded.entries()].sort((a, b) => b[1] - a[1]).map(([l, c]) => `${l} ${c}`).join('\n') + '\n');
    const file = writeResult(OUT, {
      benchmark: 'worker-profile',
      when: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/workerProfile.ts ${VIEWERS} ${SECONDS} ${PROFILE}`,
      env: { WORKER_BIN: bin, CALL_GRAPH, PERF_FREQ: FREQ },
      profile,
      viewers: bots.length,
      seconds: +dt.toFixed(1),
      workerCpuPct: +(cpu * 100).toFixed(1),
      rtpToViewersPerS: Math.round(rtpPerS),
      workerNsPerRtpPacket: +((1e9 * cpu) / Math.max(1, rtpPerS)).toFixed(0),
      samples: n,
      kernelSymbolsVisible: stacks.some((s) => s.some((f) => f.dso === 'kernel' && !f.sym.startsWith('['))),
      notes: [
        'cpu-clock samples of the worker process only; kernel samples are what the kernel did in its context (on loopback, delivery into the receiving socket runs inside the send call)',
        'nsPerPacket = worker CPU × share of samples / RTP packets delivered to viewers per second',
        'inclusive: share of samples with the function anywhere on the stack (frame-pointer unwinding; frames of libraries without frame pointers may be skipped)',
      ],
      breakdown,
      topSelf,
      topWorkerSelf,
      topInclusive,
    });
    console.log(`worker-profile: worker ${(cpu * 100).toFixed(1)}% of a core, ${Math.round(rtpPerS)} RTP packets/s to ${bots.length} viewers, ${n} samples`);
    for (const b of breakdown) console.log(`  ${b.what.padEnd(60)} ${String(b.pct).padStart(6)}%  ${String(b.nsPerPacket).padStart(7)} ns/packet`);
    console.log('  worker code, top self:');
    for (const f of topWorkerSelf.slice(0, 20)) console.log(`    ${f.fn.slice(0, 90).padEnd(90)} ${String(f.pct).padStart(6)}%`);
    console.log('  inclusive:');
    for (const f of topInclusive.slice(0, 30)) console.log(`    ${f.fn.slice(0, 90).padEnd(90)} ${String(f.pct).padStart(6)}%`);
    console.log(`worker-profile: wrote ${file} and load-tests/results/${OUT}.folded`);
  } finally {
    await bench.close();
    fs.rmSync(data, { force: true });
    fs.rmSync(`${data}.old`, { force: true });
  }
}

runBenchmark(main);
