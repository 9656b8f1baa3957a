/**
 * A generator of realistic demo data: schools in every province (preschool, primary, lower and
 * upper secondary, named as Vietnamese schools are) and their teachers with Vietnamese names and
 * subjects. Deterministic for a seed, streamed in batches so that 1.5 M teachers never sit in
 * memory at once. Also the demo accounts' own schools and teachers.
 */
import { PROVINCES } from '../data/provinces';
import { DEMO_ACCOUNTS } from '../auth/demoAccounts';
import type { School, Teacher } from '../org/orgRepo';

const SURNAMES: [string, number][] = [
  ['Nguyễn', 38], ['Trần', 11], ['Lê', 9.5], ['Phạm', 7], ['Hoàng', 5], ['Huỳnh', 4], ['Phan', 4], ['Vũ', 3.9],
  ['Võ', 3.5], ['Đặng', 2.1], ['Bùi', 2], ['Đỗ', 1.4], ['Hồ', 1.3], ['Ngô', 1.3], ['Dương', 1], ['Lý', 0.5],
  ['Đinh', 0.8], ['Trương', 0.8], ['Lương', 0.5], ['Mai', 0.4], ['Cao', 0.4], ['Lâm', 0.3], ['Tạ', 0.3], ['Hà', 0.4],
];
const MIDDLE_F = ['Thị', 'Thị', 'Thị', 'Ngọc', 'Thu', 'Thanh', 'Kim', 'Minh', 'Hồng', 'Bích', 'Phương', 'Diệu'];
const MIDDLE_M = ['Văn', 'Văn', 'Minh', 'Đức', 'Quốc', 'Hữu', 'Thanh', 'Công', 'Xuân', 'Anh', 'Đình', 'Trọng'];
const GIVEN_F = ['Lan', 'Hương', 'Hoa', 'Mai', 'Linh', 'Trang', 'Hằng', 'Nga', 'Thảo', 'Yến', 'Hà', 'Loan', 'Nhung', 'Thủy', 'Oanh', 'Vân', 'Huyền', 'Phượng', 'Dung', 'Tâm'];
const GIVEN_M = ['Minh', 'Hùng', 'Dũng', 'Tuấn', 'Nam', 'Long', 'Sơn', 'Thắng', 'Hải', 'Quang', 'Phong', 'Bình', 'Khoa', 'Trung', 'Hiếu', 'Đạt', 'Thành', 'Tài', 'Lâm', 'Vinh'];
const NAMESAKES = [
  'Nguyễn Du', 'Lê Lợi', 'Trần Hưng Đạo', 'Chu Văn An', 'Quang Trung', 'Lê Quý Đôn', 'Nguyễn Trãi', 'Trần Phú',
  'Lý Thường Kiệt', 'Nguyễn Bỉnh Khiêm', 'Phan Bội Châu', 'Phan Châu Trinh', 'Võ Thị Sáu', 'Kim Đồng', 'Lê Hồng Phong',
  'Nguyễn Huệ', 'Hai Bà Trưng', 'Ngô Quyền', 'Đinh Tiên Hoàng', 'Nguyễn Thị Minh Khai', 'Tô Hiến Thành', 'Lương Thế Vinh',
  'Hoàng Hoa Thám', 'Nguyễn Văn Trỗi', 'Trần Quốc Toản', 'Lê Văn Tám', 'Bế Văn Đàn', 'Ngô Gia Tự', 'Yết Kiêu', 'Hàm Nghi',
];
const PLACES = ['Đông', 'Tây', 'Nam', 'Bắc', 'Trung Tâm', 'Hòa Bình', 'Thống Nhất', 'Độc Lập', 'Hợp Thành', 'Tân Tiến', 'Phú Lâm', 'An Phú', 'Bình Minh', 'Hướng Dương', 'Sao Mai'];
/** Level, its share of schools, teachers per school (mean), subjects. */
const LEVELS: { prefix: string; share: number; teachers: number; subjects: string[] }[] = [
  { prefix: 'Mầm non', share: 0.3, teachers: 20, subjects: ['Mầm non'] },
  { prefix: 'Tiểu học', share: 0.35, teachers: 30, subjects: ['Tiểu học', 'Tiếng Anh', 'Tin học', 'Âm nhạc', 'Mĩ thuật', 'Giáo dục thể chất'] },
  { prefix: 'THCS', share: 0.22, teachers: 32, subjects: ['Toán', 'Ngữ văn', 'Tiếng Anh', 'Khoa học tự nhiên', 'Lịch sử và Địa lí', 'Tin học', 'Công nghệ', 'Giáo dục công dân', 'Giáo dục thể chất', 'Nghệ thuật'] },
  { prefix: 'THPT', share: 0.13, teachers: 40, subjects: ['Toán', 'Ngữ văn', 'Tiếng Anh', 'Vật lí', 'Hóa học', 'Sinh học', 'Lịch sử', 'Địa lí', 'Tin học', 'Công nghệ', 'Giáo dục kinh tế và pháp luật', 'Giáo dục thể chất'] },
];

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

function weighted(rnd: () => number, xs: readonly [string, number][]): string {
  const total = xs.reduce((s, [, w]) => s + w, 0);
  let r = rnd() * total;
  for (const [x, w] of xs) {
    r -= w;
    if (r <= 0) return x;
  }
  return xs[xs.length - 1]![0];
}

export function vietnameseName(rnd: () => number): string {
  const female = rnd() < 0.7; // about 70% of Vietnamese teachers are women
  return `${weighted(rnd, SURNAMES)} ${pick(rnd, female ? MIDDLE_F : MIDDLE_M)} ${pick(rnd, female ? GIVEN_F : GIVEN_M)}`;
}

/** Province weights: the two big cities hold more schools; the rest vary around 1. */
function provinceWeights(rnd: () => number): number[] {
  return PROVINCES.map((p) => (p.code === '79' ? 3.2 : p.code === '01' ? 2.8 : 0.6 + rnd() * 1.2));
}

export interface GenerateOptions {
  schools: number;
  teachers: number;
  seed?: number;
  /** Teachers per yielded batch. Default 10,000. */
  batch?: number;
}

/** The schools: every province gets at least one, the rest by weight; codes `S<province><n>`. */
export function generateSchools(opts: GenerateOptions): School[] {
  const rnd = prng(opts.seed ?? 1);
  const weights = provinceWeights(rnd);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / total) * opts.schools)));
  let missing = opts.schools - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; missing > 0; i = (i + 1) % counts.length, missing--) counts[i]! += 1;
  const schools: School[] = [];
  PROVINCES.forEach((p, pi) => {
    for (let n = 0; n < counts[pi]!; n++) {
      const r = rnd();
      let acc = 0;
      const level = LEVELS.find((l) => (acc += l.share) >= r) ?? LEVELS[0]!;
      const namesake = rnd() < 0.75 ? pick(rnd, NAMESAKES) : pick(rnd, PLACES);
      schools.push({ code: `S${p.code}${String(n + 1).padStart(5, '0')}`, name: `${level.prefix} ${namesake} (${p.name})`, province: p.code });
    }
  });
  return schools;
}

function levelOf(school: School): (typeof LEVELS)[number] {
  return LEVELS.find((l) => school.name.startsWith(l.prefix)) ?? LEVELS[0]!;
}

/**
 * Teachers spread over the schools in proportion to each level's size (so the total is exact),
 * ids `GV<serial>`, yielded in batches.
 */
export function* generateTeachers(schools: readonly School[], opts: GenerateOptions): Generator<Teacher[]> {
  const rnd = prng((opts.seed ?? 1) + 7);
  const batchSize = opts.batch ?? 10_000;
  const weights = schools.map((s) => levelOf(s).teachers * (0.6 + rnd() * 0.8));
  const total = weights.reduce((a, b) => a + b, 0);
  let assigned = 0;
  let cumulative = 0;
  let serial = 0;
  let batch: Teacher[] = [];
  for (let i = 0; i < schools.length; i++) {
    const school = schools[i]!;
    cumulative += weights[i]!;
    const target = i === schools.length - 1 ? opts.teachers : Math.round((cumulative / total) * opts.teachers);
    const n = Math.max(0, Math.min(opts.teachers - assigned, target - assigned));
    const subjects = levelOf(school).subjects;
    for (let k = 0; k < n; k++) {
      serial += 1;
      batch.push({ id: `GV${String(serial).padStart(7, '0')}`, name: vietnameseName(rnd), school: school.code, subject: pick(rnd, subjects) });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    assigned += n;
  }
  if (batch.length > 0) yield batch;
}

/** The demo accounts' schools (by the names in their tokens) and the demo teachers themselves. */
export function demoAccountOrg(): { schools: School[]; teachers: Teacher[] } {
  const schools: School[] = [];
  const teachers: Teacher[] = [];
  const codeOf = new Map<string, string>();
  for (const a of DEMO_ACCOUNTS) {
    const { role, school, province, name, sub } = a.claims;
    if (role !== 'teacher' || !school || !province) continue;
    let code = codeOf.get(school);
    if (!code) {
      code = `DEMO${String(codeOf.size + 1).padStart(2, '0')}`;
      codeOf.set(school, code);
      schools.push({ code, name: school, province });
    }
    teachers.push({ id: sub, name, school: code, subject: 'Toán' });
  }
  return { schools, teachers };
}
