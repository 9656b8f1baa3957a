/**
 * A tiny organisation for database tests, and an express app serving the meetings API on a free
 * loopback port with real tokens.
 */
import { staffRouter } from '../../signaling/http/staffRoutes';
import { orgRouter } from '../../signaling/http/orgRoutes';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Db } from '../../signaling/db/Db';
import { seedProvinces, upsertSchools, upsertTeachers } from '../../signaling/org/orgRepo';
import { TokenVerifier, type ClaimsInput } from '../../signaling/auth/tokens';
import { meetingRouter } from '../../signaling/http/meetingRoutes';
import type { CreationQuota } from '../../signaling/schedule/meetingQuota';
import { errorHandler } from '../../signaling/http/routes';
import { TEST_SECRET } from '../../harness/server';

export const SCHOOLS = [
  { code: 'HN-A', name: 'THPT Chu Văn An', province: '01' },
  { code: 'HN-B', name: 'THCS Giảng Võ', province: '01' },
  { code: 'HCM-A', name: 'THPT Lê Hồng Phong', province: '79' },
  { code: 'DN-A', name: 'THPT Phan Châu Trinh', province: '48' },
];
export const TEACHERS = [
  { id: 't-hn-a1', name: 'Nguyễn Thị Lan', school: 'HN-A', subject: 'Toán' },
  { id: 't-hn-a2', name: 'Trần Văn Minh', school: 'HN-A', subject: 'Ngữ văn' },
  { id: 't-hn-b1', name: 'Lê Thị Hồng', school: 'HN-B', subject: 'Tiếng Anh' },
  { id: 't-hcm-a1', name: 'Phạm Quốc Bảo', school: 'HCM-A', subject: 'Vật lí' },
  { id: 't-dn-a1', name: 'Hoàng Minh Tuấn', school: 'DN-A', subject: 'Hóa học' },
];

export async function seedOrg(db: Db): Promise<void> {
  await seedProvinces(db);
  await upsertSchools(db, SCHOOLS);
  await upsertTeachers(db, TEACHERS);
}

export const tokens = new TokenVerifier({ keys: { kind: 'secret', secret: TEST_SECRET }, issuer: 'hoinghi', audience: 'hoinghi', clockSkewS: 30 });

export const NATIONAL: Omit<ClaimsInput, 'meetings'> = { sub: 'bo-truong', name: 'Bộ trưởng', role: 'host', province: null, school: null };
export const HN_HOST: Omit<ClaimsInput, 'meetings'> = { sub: 'so-ha-noi', name: 'Sở Hà Nội', role: 'province_host', province: '01', school: null };
export const HCM_HOST: Omit<ClaimsInput, 'meetings'> = { sub: 'so-hcm', name: 'Sở TP.HCM', role: 'province_host', province: '79', school: null };
export const teacher = (id: string): Omit<ClaimsInput, 'meetings'> => ({ sub: id, name: id, role: 'teacher', province: null, school: null });

/** A token: `meetings` lists only a decoy, to prove the server does not read it. */
export function bearer(claims: Omit<ClaimsInput, 'meetings'>): string {
  return tokens.issue({ ...claims, meetings: ['decoy-meeting'] }, 3600);
}

export interface Api {
  url: string;
  /** People whose sign-ins the API ended (disable), in order. */
  ended: string[];
  call(method: string, path: string, who: Omit<ClaimsInput, 'meetings'> | null, body?: unknown): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startApi(db: Db, options: { quota?: CreationQuota } = {}): Promise<Api> {
  const app = express();
  const ended: string[] = [];
  // The API alone: no live meetings to end. The staff directory first, as in the server.
  app.use(staffRouter({ db, tokens }));
  app.use(orgRouter({ db, tokens, endSignIns: async (userId) => void ended.push(userId) }));
  app.use(meetingRouter({ db, tokens, onChanged: () => undefined, onEnded: async () => undefined, quota: options.quota }));
  app.use(errorHandler);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    ended,
    async call(method, path, who, body) {
      const res = await fetch(url + path, {
        method,
        headers: { ...(who ? { authorization: `Bearer ${bearer(who)}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function meetingBody(audience: unknown, startInMs = 60_000, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const start = Date.now() + startInMs;
  return {
    title: 'Họp chuyên môn',
    agenda: 'Triển khai chương trình mới',
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 3600_000).toISOString(),
    audience,
    ...extra,
  };
}
