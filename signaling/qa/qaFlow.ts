/**
 * Questions: teachers ask and vote; hosts watch, moderate and pin; anyone reads the approved list
 * and their own questions. Nothing here notifies per vote: the feeds (qaFeeds.ts) summarise.
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { withJitter } from '../rateLimit';
import type { Session } from '../meeting/Session';
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';
import { qaOf } from './QaRuntime';
import { hostScope, isQaHost } from './qaHosts';
import { provinceKey } from '../store/qaTypes';

/** Only teachers ask, vote and react (hosts moderate). */
export function requireTeacher(session: Session, what: string): { meeting: Meeting; peer: Peer } {
  const joined = session.joined();
  if (joined.peer.claims.role !== 'teacher') throw forbidden(`only teachers ${what}`);
  return joined;
}

function requireQaHost(session: Session): { meeting: Meeting; peer: Peer } {
  const joined = session.joined();
  if (!isQaHost(joined.peer)) throw forbidden('only hosts moderate questions');
  return joined;
}

export async function ask(session: Session, { text }: ClientPayload<'qaAsk'>): Promise<ClientResultMap['qaAsk']> {
  const { meeting, peer } = requireTeacher(session, 'ask questions');
  const rt = qaOf(meeting);
  const wait = rt.takeAskToken(peer.userId);
  if (wait > 0) throw new AppError('rate_limited', 'questions asked too often', withJitter(wait));
  const question = await meeting.state.qa.ask(
    { text, authorId: peer.userId, authorName: peer.claims.name, province: peer.claims.province, school: peer.claims.school },
    { maxQuestions: rt.options.maxQuestions, maxPerUser: rt.options.maxPerUser },
  );
  if (question === 'full') throw new AppError('conflict', 'this meeting takes no more questions');
  if (question === 'user_full') throw new AppError('conflict', `at most ${rt.options.maxPerUser} questions each`);
  rt.recorder.question(meeting.id, question);
  return { question };
}

export async function vote(session: Session, { questionId }: ClientPayload<'qaVote'>): Promise<ClientResultMap['qaVote']> {
  const { meeting, peer } = requireTeacher(session, 'vote');
  const { result, votes, seq } = await meeting.state.qa.vote(questionId, peer.userId);
  if (result === 'missing') throw notFound('question');
  if (result === 'own') throw new AppError('conflict', 'one does not vote for one’s own question');
  if (result === 'ok') qaOf(meeting).recorder.questionVote(meeting.id, questionId, peer.userId, Date.now());
  // `seq`: a host summary with this seq or later includes the vote.
  return { votes, changed: result === 'ok', seq };
}

export async function moderate(session: Session, { questionId, action }: ClientPayload<'qaModerate'>): Promise<ClientResultMap['qaModerate']> {
  const { meeting, peer } = requireQaHost(session);
  const before = await meeting.state.qa.question(questionId);
  if (!before) throw notFound('question');
  const scope = hostScope(peer);
  if (scope !== null && provinceKey(before.province) !== scope) throw forbidden('a question of another province');
  const change = action === 'answer' || action === 'unanswer' ? { answered: action === 'answer' } : { hidden: action === 'hide' };
  const question = await meeting.state.qa.moderate(questionId, change);
  if (!question) throw notFound('question');
  qaOf(meeting).recorder.question(meeting.id, question);
  // The author hears of their own question (one message per moderation, not per vote).
  meeting.notify.toRoom(meeting.userRoom(question.authorId), 'qaOwn', question);
  return { question };
}

export async function pin(session: Session, { questionId }: ClientPayload<'qaPin'>): Promise<ClientResultMap['qaPin']> {
  const { meeting, peer } = session.joined();
  // The pinned question is on everyone's screen: the national hosts' call.
  if (peer.claims.role !== 'host') throw forbidden('only national hosts pin questions');
  const pinned = await meeting.state.qa.pin(questionId);
  if (pinned === 'missing') throw notFound('question');
  return { pinned };
}

export async function watch(session: Session, payload: ClientPayload<'qaWatch'>): Promise<ClientResultMap['qaWatch']> {
  const { meeting, peer } = requireQaHost(session);
  const scope = hostScope(peer);
  if (scope !== null && payload.province !== null && payload.province !== scope) throw forbidden('outside your province');
  const rt = qaOf(meeting);
  const w = { sort: payload.sort, province: scope ?? payload.province, includeHidden: payload.includeHidden, seq: -1, at: 0 };
  rt.watchers.set(session.socketId, w);
  return rt.feeds.sendHostState(session.socketId, peer, w);
}

export async function list(session: Session, { sort, offset, limit }: ClientPayload<'qaList'>): Promise<ClientResultMap['qaList']> {
  const { meeting, peer } = session.joined();
  // Hidden questions never reach viewers: the visible sets only.
  const page = await meeting.state.qa.questions({ sort, includeHidden: false, offset, limit });
  const voted = await meeting.state.qa.votedBy(peer.userId, page.rows.map((q) => q.id));
  return { total: page.total, rows: page.rows, voted };
}

export async function mine(session: Session): Promise<ClientResultMap['qaMine']> {
  const { meeting, peer } = session.joined();
  return { rows: await meeting.state.qa.byAuthor(peer.userId) };
}
