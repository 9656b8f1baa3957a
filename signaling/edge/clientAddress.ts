/**
 * Who is the client: the socket's peer address, or, when that peer is a trusted proxy (HAProxy),
 * the address it wrote into X-Forwarded-For. One rule for express (`trust proxy`) and for the
 * socket layer's per-IP limits, so a rotated X-Forwarded-For header from an untrusted address
 * changes nothing.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Addresses whose X-Forwarded-For is believed: a list of CIDR blocks (empty: nobody). */
export class TrustedProxies {
  readonly #list = new net.BlockList();
  readonly size: number;

  /** @param cidrs entries like `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` (already validated). */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, prefix] = parseCidr(cidr);
      const type = net.isIPv4(address) ? 'ipv4' : 'ipv6';
      this.#list.addSubnet(address, prefix ?? (type === 'ipv4' ? 32 : 128), type);
    }
    this.size = cidrs.length;
  }

  trusts(address: string): boolean {
    if (this.size === 0) return false;
    const a = normalise(address);
    const type = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : null;
    return type !== null && this.#list.check(a, type);
  }

  /**
   * The client address of a request: walk from the socket peer leftwards through
   * X-Forwarded-For while each hop is a trusted proxy (what express's proxy-addr does with the
   * same predicate); the first untrusted hop (or the leftmost one) is the client.
   */
  clientOf(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
    const peer = normalise(req.socket.remoteAddress ?? '');
    if (!this.trusts(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => normalise(h.trim()))
      .filter(Boolean)
      .reverse();
    let client = peer;
    for (const hop of hops) {
      if (!net.isIP(hop)) return client;
      client = hop;
      if (!this.trusts(hop)) return hop;
    }
    return client;
  }

  /** express's `trust proxy` setting: the same predicate. */
  get expressTrust(): (address: string) => boolean {
    return (address) => this.trusts(address);
  }
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is `1.2.3.4`. */
export function normalise(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function parseCidr(cidr: string): [string, number | undefined] {
  const slash = cidr.indexOf('/');
  if (slash < 0) return [normalise(cidr), undefined];
  return [normalise(cidr.slice(0, slash)), Number(cidr.slice(slash + 1))];
}

/** Whether `value` is an address or a CIDR block (for the settings schema). */
export function isCidr(value: string): boolean {
  const [address, prefix] = parseCidr(value);
  const v = net.isIP(address);
  if (v === 0) return false;
  if (prefix === undefined) return true;
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= (v === 4 ? 32 : 128) && /^\d+$/.test(value.slice(value.indexOf('/') + 1));
}
