/**
 * The dashboard's downloads in Chromium, as a host after a meeting, on a desktop (1280×800) and a
 * phone (390×844): the buttons for attendance, questions and poll results are on the page, each
 * one downloads a file (Playwright's download API), a CSV starts with the BOM and then the
 * Vietnamese header, an XLSX's first row is that header; the page says the file was downloaded.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import ExcelJS from 'exceljs';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, newContext, signIn } from '../../harness/browser';
import { expectAccessible, expectPhoneLayout, phoneContext } from '../helpers/a11y';
import { openMeetingNow } from '../helpers/openMeeting';
import { ATTENDANCE_HEADER, POLL_HEADER, QUESTION_HEADER, headerCells } from '../helpers/exportHeaders';

const SHOTS = process.env.HOINGHI_SCREENSHOTS; // a folder: save the screenshots there
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let meetingId = '';

const FILES = [
  { id: 'attendance-csv', label: 'Tải điểm danh (CSV)', header: ATTENDANCE_HEADER },
  { id: 'attendance-xlsx', label: 'Tải điểm danh (Excel)', header: ATTENDANCE_HEADER },
  { id: 'questions-csv', label: 'Tải câu hỏi (CSV)', header: QUESTION_HEADER },
  { id: 'questions-xlsx', label: 'Tải câu hỏi (Excel)', header: QUESTION_HEADER },
  { id: 'polls-csv', label: 'Tải kết quả bình chọn (CSV)', header: POLL_HEADER },
  { id: 'polls-xlsx', label: 'Tải kết quả bình chọn (Excel)', header: POLL_HEADER },
];

beforeAll(async () => {
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DEMO_MEETING: 'e2e-exports',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '600',
  });
  browser = await launchChromium();
  meetingId = await openMeetingNow(server, 'Tập huấn — xuất dữ liệu');
}, 400_000);

afterAll(() => closeAll(contexts, browser, server));

async function dashboard(ctx: BrowserContext): Promise<Page> {
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(90_000);
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bo-truong');
  await page.goto(`${server.url}/m/${meetingId}/attendance`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid="exports"]');
  await page.waitForSelector('tr[data-group="01"]');
  return page;
}

/** Clicks a download button and returns the downloaded file's name and bytes. */
async function downloadVia(page: Page, id: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`button[data-export="${id}"]`)]);
  const path = await dl.path();
  expect(path).toBeTruthy();
  return { name: dl.suggestedFilename(), bytes: await readFile(path!) };
}

async function checkDownloads(page: Page): Promise<void> {
  for (const f of FILES) {
    expect((await page.textContent(`button[data-export="${f.id}"]`))?.trim()).toBe(f.label);
  }
  for (const f of FILES) {
    const { name, bytes } = await downloadVia(page, f.id);
    if (f.id.endsWith('-csv')) {
      expect(name).toMatch(/\.csv$/);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe(f.header);
    } else {
      expect(name).toMatch(/\.xlsx$/);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(bytes as never);
      const ws = wb.worksheets[0]!;
      expect(Array.from({ length: ws.columnCount }, (_, i) => ws.getRow(1).getCell(i + 1).value)).toEqual(headerCells(f.header));
    }
    await page.waitForSelector(`[data-export-status]:has-text("Đã tải tệp ${name}.")`);
  }
}

describe('downloads from the attendance dashboard', () => {
  it('on a desktop (1280×800): six buttons, each downloads a file with the Vietnamese header', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await dashboard(ctx);
    expect(page.viewportSize()).toEqual({ width: 1280, height: 800 });
    await checkDownloads(page);
    await expectAccessible(page);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/dashboard-exports.png`, fullPage: true });
  });

  it('on a phone (390×844): the same downloads, 44 px targets, nothing wider than the screen', async () => {
    const page = await dashboard(await phoneContext(browser, contexts));
    expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
    await expectPhoneLayout(page);
    await checkDownloads(page);
    await expectAccessible(page);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-dashboard-exports.png`, fullPage: true });
  });
});
