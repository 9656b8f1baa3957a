/**
 * The HTTP API's answers that the web client reads, declared once: the server's routes check what
 * they send against them (`satisfies`), the pages read them. Scheduled meetings' answers are in
 * schedule/types.ts, the attendance dashboard's in attendance.ts.
 */
import type { RecordingSummary, Role } from './events';

export interface ProvinceInfo {
  code: string;
  name: string;
}

/** GET /api/provinces */
export interface ProvincesAnswer {
  provinces: readonly ProvinceInfo[];
}

/** GET /api/schools?province= */
export interface SchoolsAnswer {
  schools: { code: string; name: string }[];
}

/** One of the staff who may host (the co-host picker). */
export interface StaffMember {
  id: string;
  name: string;
  role: 'host' | 'province_host';
  province: string | null;
}

/** GET /api/staff?q=… (a search) or ?ids=a,b (names for ids already chosen) */
export interface StaffAnswer {
  staff: StaffMember[];
}

/** A demo account, as the sign-in page shows it. */
export interface DemoAccountInfo {
  id: string;
  sub: string;
  name: string;
  role: Role;
  province: string | null;
  school: string | null;
}

/** GET /api/demo/accounts */
export interface DemoAccountsAnswer {
  meetingId: string;
  accounts: DemoAccountInfo[];
}

/** POST /api/demo/signin */
export interface DemoSignInAnswer {
  token: string;
  meetingId: string;
  account: DemoAccountInfo;
}

/** GET /api/auth/config: how people sign in here. */
export interface AuthConfigAnswer {
  /** Sign-in with the ministry's account (OpenID Connect; /auth/login, /auth/token). */
  oidc: boolean;
  /** The demo accounts (/api/demo/accounts). */
  demo: boolean;
}

/**
 * POST /auth/token (the refresh cookie): a short access token for the socket and the API, and
 * who it is for. The access token is given in the body only, never in a URL.
 */
export interface SessionTokenAnswer {
  token: string;
  /** ISO time the access token runs out (the page renews it before). */
  expiresAt: string;
  account: DemoAccountInfo;
}

/** GET /api/meetings/:id/recordings */
export interface RecordingsAnswer {
  recordings: RecordingSummary[];
}
