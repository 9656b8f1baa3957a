/**
 * A scheduled meeting that is on now (started a second ago, an hour long), created and opened
 * through the HTTP API by the minister ('bo-truong'), for tests that start from a meeting in
 * progress. Returns its id.
 */
import type { HoinghiServer } from '../../signaling/server';
import { tokenFor } from '../../harness/server';

export type Audience = { kind: 'country' } | { kind: 'provinces'; provinces: string[] };

export async function openMeetingNow(server: HoinghiServer, title: string, audience: Audience = { kind: 'country' }): Promise<string> {
  const hostToken = tokenFor(server, { sub: 'bo-truong', name: 'Bộ trưởng', role: 'host' });
  const start = Date.now() - 1000;
  const res = await fetch(`${server.url}/api/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title, startsAt: new Date(start).toISOString(), endsAt: new Date(start + 3_600_000).toISOString(), audience }),
  });
  if (res.status !== 201) throw new Error(`creating the meeting answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const opened = await fetch(`${server.url}/api/meetings/${id}/open`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}` } });
  if (!opened.ok) throw new Error(`opening the meeting answered ${opened.status}: ${await opened.text()}`);
  return id;
}
