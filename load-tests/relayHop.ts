/**
 * The delay one relay hop adds: a producer on worker A is consumed directly on
 * A and, through a pipe (PipeTransport pair over loopback UDP, exactly what links two SFU nodes
 * in the relay tree), on worker B. Each RTP packet carries its index in its payload; the hop's
 * delay is the delay from the sender to B's consumer minus the delay to A's (percentile by percentile).
 *
 * 50 packets/s (an Opus stream) for 10 s, plus a 1,000 packets/s burst phase.
 *
 * Usage: node --import tsx load-tests/relayHop.ts [seconds=10]
 * Writes load-tests/results/relay-hop.json.
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { createMediaRouter } from '../sfu/mediaCodecs';
import { machine, runBenchmark, writeResult } from './lib';
import { setTimeout as sleep } from 'node:timers/promises';

const SECONDS = Number(process.argv[2] ?? 10);
const SSRC = 33333333;

async function sink(router: types.Router, producer: types.Producer): Promise<{ sock: dgram.Socket; arrivals: Map<number, bigint> }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const arrivals = new Map<number, bigint>();
  sock.on('message', (msg) => {
    if (msg.length < 16 || ((msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 76)) return; // RTCP
    let header = 12 + 4 * (msg[0]! & 0x0f);
    if (msg[0]! & 0x10) header += 4 + 4 * msg.readUInt16BE(header + 2); // header extensions the consumer adds
    arrivals.set(msg.readUInt32BE(header), process.hrtime.bigint());
  });
  const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
  await t.connect({ ip: '127.0.0.1', port: sock.address().port });
  const c = await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
  await c.resume();
  return { sock, arrivals };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** `tx` is one socket for every run: the comedia ingest accepts only the first source tuple it saw. */
async function run(tx: dgram.Socket, rate: number, seconds: number, ingest: { port: number }, a: Map<number, bigint>, b: Map<number, bigint>, first: number) {
  const sent = new Map<number, bigint>();
  const n = Math.round(rate * seconds);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const index = first + i;
    const pkt = Buffer.alloc(12 + 160);
    pkt[0] = 0x80;
    pkt[1] = 100;
    pkt.writeUInt16BE(index & 0xffff, 2);
    pkt.writeUInt32BE((index * 960) >>> 0, 4);
    pkt.writeUInt32BE(SSRC, 8);
    pkt.writeUInt32BE(index, 12);
    sent.set(index, process.hrtime.bigint());
    tx.send(pkt, ingest.port, '127.0.0.1');
    // Yield at least every 10 ms so the sends leave and the arrivals are read as they come.
    const due = t0 + ((i + 1) * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1 || i % Math.max(1, Math.round(rate / 100)) === 0) await sleep(Math.max(0, wait));
  }
  await sleep(500);
  // Arrival times are taken in this process's callbacks, so both paths carry the same event-loop
  // noise: the hop is the difference of the two delay distributions (send → A, send → B).
  const direct: number[] = [];
  const piped: number[] = [];
  for (const [i, ts] of sent) {
    const ta = a.get(i);
    const tb = b.get(i);
    if (ta !== undefined) direct.push(Number(ta - ts) / 1e6);
    if (tb !== undefined) piped.push(Number(tb - ts) / 1e6);
  }
  const r3 = (x: number) => +x.toFixed(3);
  const at = (p: number) => r3(pct(piped, p) - pct(direct, p));
  return {
    packetsPerS: rate,
    packets: n,
    receivedDirect: direct.length,
    receivedThroughPipe: piped.length,
    throughOneWorkerMs: { p50: r3(pct(direct, 50)), p95: r3(pct(direct, 95)), p99: r3(pct(direct, 99)) },
    throughWorkerPipeWorkerMs: { p50: r3(pct(piped, 50)), p95: r3(pct(piped, 95)), p99: r3(pct(piped, 99)) },
    oneHopAddsMs: { p50: at(50), p95: at(95), p99: at(99) },
  };
}

async function main(): Promise<void> {
  const wa = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 30000, rtcMaxPort: 39999 });
  const wb = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 30000, rtcMaxPort: 39999 });
  try {
    const ra = await createMediaRouter(wa);
    const rb = await createMediaRouter(wb);
    const ingest = await ra.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const producer = await ingest.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: SSRC }] },
    });
    const a = await sink(ra, producer);
    await ra.pipeToRouter({ producerId: producer.id, router: rb });
    const b = await sink(rb, producer);
    const port = { port: ingest.tuple.localPort };
    const tx = dgram.createSocket('udp4');
    const steady = await run(tx, 50, SECONDS, port, a.arrivals, b.arrivals, 0);
    const burst = await run(tx, 1000, Math.min(SECONDS, 5), port, a.arrivals, b.arrivals, steady.packets); // sequence numbers continue
    tx.close();
    a.sock.close();
    b.sock.close();
    for (const r of [steady, burst]) {
      console.log(`relay-hop: ${r.packetsPerS} packets/s: one hop adds p50 ${r.oneHopAddsMs.p50} ms, p95 ${r.oneHopAddsMs.p95} ms, p99 ${r.oneHopAddsMs.p99} ms (send → worker A → receiver p50 ${r.throughOneWorkerMs.p50} ms, through the pipe and worker B p50 ${r.throughWorkerPipeWorkerMs.p50} ms); ${r.receivedThroughPipe}/${r.packets} through the pipe`);
    }
    const file = writeResult('relay-hop', {
      benchmark: 'relay-hop',
      when: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/relayHop.ts ${SECONDS}`,
      setup: 'producer on worker A (PlainTransport in), consumer on A and, via router.pipeToRouter (PipeTransport pair, loopback UDP), a consumer on worker B; hop = percentile of (send → B) − same percentile of (send → A)',
      steady,
      burst,
    });
    console.log(`relay-hop: wrote ${file}`);
  } finally {
    wa.close();
    wb.close();
  }
}

runBenchmark(main);
