/**
 * Who moderates Q&A and what each host watches: national hosts see every province's questions,
 * a province host their own province's.
 */
import type { Peer } from '../meeting/Peer';
import type { QaSort } from '../protocol/qa';

export interface HostWatch {
  sort: QaSort;
  province: string | null;
  includeHidden: boolean;
  /** The Q&A change number last sent, and when; -1 forces the next tick to send. */
  seq: number;
  at: number;
}

/** National hosts moderate every question; a province host those of their province. */
export function isQaHost(peer: Peer): boolean {
  return peer.claims.role === 'host' || (peer.claims.role === 'province_host' && peer.claims.province !== null);
}

/** The province a host is limited to (null: every province). */
export function hostScope(peer: Peer): string | null {
  return peer.claims.role === 'host' ? null : peer.claims.province;
}
