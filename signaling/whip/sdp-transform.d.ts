/** The part of sdp-transform (a dependency of mediasoup-client; no types of its own) the WHIP code uses. */
declare module 'sdp-transform' {
  export interface MediaAttributes {
    type: string;
    port: number;
    protocol: string;
    payloads?: string;
    mid?: string | number;
    direction?: 'sendrecv' | 'recvonly' | 'sendonly' | 'inactive';
    iceUfrag?: string;
    icePwd?: string;
    fingerprint?: { type: string; hash: string };
    setup?: string;
    rtp: { payload: number; codec: string; rate?: number; encoding?: number }[];
    fmtp: { payload: number; config: string }[];
    rtcpFb?: { payload: number | string; type: string; subtype?: string }[];
    ext?: { value: number; direction?: string; 'encrypt-uri'?: string; uri: string; config?: string }[];
    ssrcs?: { id: number | string; attribute: string; value?: string }[];
    ssrcGroups?: { semantics: string; ssrcs: string }[];
    rids?: { id: string | number; direction: string; params?: string }[];
    simulcast?: { dir1: string; list1: string; dir2?: string; list2?: string };
    msid?: { id: string; appdata?: string }[];
    connection?: { version: number; ip: string };
    candidates?: unknown[];
    rtcpMux?: string;
    [key: string]: unknown;
  }
  export interface SessionDescription {
    version?: number;
    origin?: { username: string; sessionId: string | number; sessionVersion: number; netType: string; ipVer: number; address: string };
    name?: string;
    timing?: { start: number; stop: number };
    fingerprint?: { type: string; hash: string };
    setup?: string;
    iceUfrag?: string;
    icePwd?: string;
    icelite?: string;
    groups?: { type: string; mids: string }[];
    msidSemantic?: { semantic: string; token: string };
    media: MediaAttributes[];
    [key: string]: unknown;
  }
  export function parse(sdp: string): SessionDescription;
  export function write(session: SessionDescription): string;
  export function parseParams(str: string): Record<string, string | number>;
  export function parseSimulcastStreamList(str: string): { scid: string | number; paused: boolean }[][];
}
