/**
 * Demo accounts for the single-node demo: a national host, province hosts for a few provinces,
 * and teachers from several provinces and schools. Used only when demo sign-in is enabled.
 */
import type { ClaimsInput } from './tokens';
import { provinceByCode } from '../data/provinces';
import type { DemoAccountInfo } from '../protocol/http';

export interface DemoAccount {
  id: string;
  claims: Omit<ClaimsInput, 'meetings'>;
}

const teacher = (id: string, name: string, province: string, school: string): DemoAccount => ({
  id,
  claims: { sub: id, name, role: 'teacher', province, school },
});

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: 'bo-truong', claims: { sub: 'bo-truong', name: 'Bộ trưởng (Host)', role: 'host', province: null, school: null } },
  { id: 'vu-truong', claims: { sub: 'vu-truong', name: 'Vụ trưởng (Co-host)', role: 'host', province: null, school: null } },
  { id: 'so-ha-noi', claims: { sub: 'so-ha-noi', name: 'Sở GD&ĐT Hà Nội', role: 'province_host', province: '01', school: null } },
  { id: 'so-hcm', claims: { sub: 'so-hcm', name: 'Sở GD&ĐT TP.HCM', role: 'province_host', province: '79', school: null } },
  { id: 'so-da-nang', claims: { sub: 'so-da-nang', name: 'Sở GD&ĐT Đà Nẵng', role: 'province_host', province: '48', school: null } },
  teacher('gv-hn-1', 'Nguyễn Thị Lan', '01', 'THPT Chu Văn An'),
  teacher('gv-hn-2', 'Trần Văn Minh', '01', 'THCS Giảng Võ'),
  teacher('gv-hcm-1', 'Lê Thị Hồng', '79', 'THPT Lê Hồng Phong'),
  teacher('gv-hcm-2', 'Phạm Quốc Bảo', '79', 'Tiểu học Nguyễn Bỉnh Khiêm'),
  teacher('gv-dn-1', 'Hoàng Minh Tuấn', '48', 'THPT Phan Châu Trinh'),
  teacher('gv-cm-1', 'Võ Thị Mai', '96', 'THCS Cà Mau'),
  teacher('gv-lc-1', 'Giàng A Sử', '15', 'PTDTBT Tiểu học Bát Xát'),
];

for (const a of DEMO_ACCOUNTS) {
  if (a.claims.province && !provinceByCode(a.claims.province)) throw new Error(`demo account ${a.id}: unknown province`);
}

export function demoAccount(id: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.id === id);
}

/** A demo account as the sign-in page shows it. */
export function demoAccountInfo(a: DemoAccount): DemoAccountInfo {
  const c = a.claims;
  return { id: a.id, sub: c.sub, name: c.name, role: c.role, province: c.province ?? null, school: c.school ?? null };
}
