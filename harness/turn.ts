/**
 * Debian's coturn as a TURN relay with the shipped configuration (deploy/coturn/turnserver.conf),
 * in a host of a test topology (harness/netns.ts): TLS on 443 with a certificate made for the
 * host's address, credentials of the TURN REST scheme under `secret`, and leave to relay to the
 * given peers (the SFU hosts) only. `spki` is the certificate's key hash, for a browser told to
 * trust exactly it (harness/browser.ts `trustSpki`).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stopChild } from './cluster';
import type { NetHost } from './netns';
import { until } from './wait';

export const TURN_CONF = path.resolve(import.meta.dirname, '../deploy/coturn/turnserver.conf');

export interface TurnProcess {
  /** For HOINGHI_TURN_URLS. */
  url: string;
  /** base64 SHA-256 of the certificate's public key (Chromium's --ignore-certificate-errors-spki-list). */
  spki: string;
  /** Lines coturn has logged so far. */
  log(): string[];
  stop(): Promise<void>;
}

export async function startTurn(options: { host: NetHost; secret: string; peers: string[] }): Promise<TurnProcess> {
  const { host } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hn-turn-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', '/CN=hoinghi-turn-test', '-addext', `subjectAltName=IP:${host.address}`,
  ], { stdio: 'ignore' });
  const spki = createHash('sha256')
    .update(new X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  const args = [
    '-c', TURN_CONF,
    '--listening-ip', host.address,
    '--relay-ip', host.address,
    '--cert', cert,
    '--pkey', key,
    '--static-auth-secret', options.secret,
    '--pidfile', path.join(dir, 'turnserver.pid'),
    '--userdb', path.join(dir, 'turndb'),
    '--log-file', 'stdout',
    ...options.peers.flatMap((p) => ['--allowed-peer-ip', p]),
  ];
  const child: ChildProcess = host.spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}: ${lines.slice(-5).join(' | ')}`);
        return tcpOpen(host.address, 443);
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'coturn listening on TLS 443' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    url: `turns:${host.address}:443?transport=tcp`,
    spki,
    log: () => [...lines],
    async stop() {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tcpOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
