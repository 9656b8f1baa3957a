/**
 * Polls: national hosts prepare, launch, close and show them; teachers vote once. Results reach
 * hosts through the feeds (throttled), and everyone once shown.
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Poll } from '../protocol/qa';
import type { Session } from '../meeting/Session';
import type { Meeting } from '../meeting/Meeting';
import { qaOf } from './QaRuntime';
import { requireTeacher } from './qaFlow';

function requireHost(session: Session): Meeting {
  const { meeting, peer } = session.joined();
  if (peer.claims.role !== 'host') throw forbidden('only national hosts run polls');
  return meeting;
}

function recorded(meeting: Meeting, poll: Poll): { poll: Poll } {
  qaOf(meeting).recorder.poll(meeting.id, poll);
  return { poll };
}

export async function create(session: Session, p: ClientPayload<'pollCreate'>): Promise<ClientResultMap['pollCreate']> {
  const meeting = requireHost(session);
  const poll = await meeting.state.qa.createPoll({ question: p.question, options: p.options, multiple: p.multiple, durationS: p.durationS });
  if (!p.launch) return recorded(meeting, poll);
  const launched = await meeting.state.qa.launchPoll(poll.id);
  if (typeof launched === 'string') throw new AppError('conflict', 'the poll could not be launched');
  return recorded(meeting, launched);
}

export async function launch(session: Session, { pollId }: ClientPayload<'pollLaunch'>): Promise<ClientResultMap['pollLaunch']> {
  const meeting = requireHost(session);
  const poll = await meeting.state.qa.launchPoll(pollId);
  if (poll === 'missing') throw notFound('poll');
  if (poll === 'not_draft') throw new AppError('conflict', 'this poll was launched already');
  return recorded(meeting, poll);
}

export async function close(session: Session, { pollId }: ClientPayload<'pollClose'>): Promise<ClientResultMap['pollClose']> {
  const meeting = requireHost(session);
  const poll = await meeting.state.qa.closePoll(pollId);
  if (!poll) throw notFound('poll');
  return recorded(meeting, poll);
}

export async function show(session: Session, { pollId, shown }: ClientPayload<'pollShow'>): Promise<ClientResultMap['pollShow']> {
  const meeting = requireHost(session);
  const poll = await meeting.state.qa.showResults(pollId, shown);
  if (!poll) throw notFound('poll');
  return recorded(meeting, poll);
}

export async function vote(session: Session, { pollId, choices }: ClientPayload<'pollVote'>): Promise<ClientResultMap['pollVote']> {
  const { meeting, peer } = requireTeacher(session, 'vote in polls');
  const result = await meeting.state.qa.pollVote(pollId, peer.userId, peer.claims.province, choices);
  if (result === 'missing') throw notFound('poll');
  if (result === 'closed') throw new AppError('conflict', 'this poll is closed');
  if (result === 'bad_choice') throw new AppError('bad_request', 'invalid choices for this poll');
  const mine = (await meeting.state.qa.pollChoices(pollId, peer.userId)) ?? [];
  if (result === 'ok') {
    qaOf(meeting).recorder.pollVote(meeting.id, pollId, { userId: peer.userId, province: peer.claims.province, choices: mine, at: Date.now() });
  }
  return { changed: result === 'ok', choices: mine };
}

export async function current(session: Session): Promise<ClientResultMap['pollCurrent']> {
  const { meeting, peer } = session.joined();
  const qa = meeting.state.qa;
  const poll = await qa.currentPoll();
  if (!poll) return { poll: null, results: null, myChoices: null };
  const results = poll.resultsShown || peer.claims.role === 'host' ? await qa.pollResults(poll.id) : null;
  return { poll, results, myChoices: await qa.pollChoices(poll.id, peer.userId) };
}
