/**
 * A meeting's polls with their votes per option, nationwide and by province, read from the
 * database (for the interaction export and the poll results report). A province scope counts that
 * province's votes only.
 */
import type { Db } from '../db/Db';

export interface PollScopeTally {
  /** The voters' province ('--': none), or null for the total over the scope. */
  province: string | null;
  voters: number;
  /** Votes per option, in the poll's option order. */
  votes: number[];
}

export interface PollTally {
  id: string;
  question: string;
  options: string[];
  /** draft, open or closed; an open poll past its deadline counts as closed. */
  state: string;
  openedAt: Date | null;
  /** The provinces with votes (sorted), then the total; only the total when nobody voted. */
  scopes: PollScopeTally[];
}

export async function pollTallies(db: Db, meetingId: string, province: string | null): Promise<PollTally[]> {
  const ps = await db.query<{ id: string; question: string; options: string[]; state: string; closes_at: Date | null; opened_at: Date | null }>(
    `SELECT id, question, options, state, closes_at, opened_at FROM polls WHERE meeting_id = $1 ORDER BY length(id), id`,
    [meetingId],
  );
  const tallies = await db.query<{ poll_id: string; province: string; choice: number | null; n: string }>(
    `SELECT poll_id, province, c AS choice, count(*) AS n
     FROM poll_votes v LEFT JOIN LATERAL unnest(v.choices) AS c ON true
     WHERE meeting_id = $1 AND ($2::text IS NULL OR province = $2)
     GROUP BY GROUPING SETS ((poll_id, province, c), (poll_id, c))`,
    [meetingId, province],
  );
  const voters = await db.query<{ poll_id: string; province: string | null; n: string }>(
    `SELECT poll_id, province, count(*) AS n FROM poll_votes WHERE meeting_id = $1 AND ($2::text IS NULL OR province = $2)
     GROUP BY GROUPING SETS ((poll_id, province), (poll_id))`,
    [meetingId, province],
  );
  return ps.map((p) => {
    // A poll past its deadline is closed, whether or not a node wrote that down.
    const state = p.state === 'open' && p.closes_at && p.closes_at.getTime() <= Date.now() ? 'closed' : p.state;
    const scopes = [...new Set(voters.filter((v) => v.poll_id === p.id).map((v) => v.province))].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
    if (scopes.length === 0) scopes.push(null);
    return {
      id: p.id,
      question: p.question,
      options: p.options,
      state,
      openedAt: p.opened_at,
      scopes: scopes.map((scope) => ({
        province: scope,
        voters: Number(voters.find((v) => v.poll_id === p.id && v.province === scope)?.n ?? 0),
        votes: p.options.map((_, i) => Number(tallies.find((x) => x.poll_id === p.id && (x.province ?? null) === scope && Number(x.choice) === i)?.n ?? 0)),
      })),
    };
  });
}
