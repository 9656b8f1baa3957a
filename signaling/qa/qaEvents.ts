/** The interaction events' handlers and per-user budgets, spread into the socket dispatcher. */
import type { Session } from '../meeting/Session';
import type { qaEventSchemas } from '../protocol/qaSchemas';
import * as qaFlow from './qaFlow';
import * as pollFlow from './pollFlow';
import { react } from './reactFlow';

type QaEvent = keyof typeof qaEventSchemas;
type Handler = (session: Session, payload: never) => Promise<unknown>;

/** Budgets (sustained per second, burst) per user; asking has its own, tighter limit (QaRuntime). */
export const QA_CLASS_BUDGET = {
  qa: [5, 20],
  qaRead: [5, 20],
  react: [2, 6],
  poll: [2, 10],
} as const satisfies Record<string, readonly [number, number]>;

export const QA_EVENT_CLASS: Record<QaEvent, keyof typeof QA_CLASS_BUDGET> = {
  qaAsk: 'qa',
  qaVote: 'qa',
  qaModerate: 'qa',
  qaPin: 'qa',
  qaWatch: 'qaRead',
  qaList: 'qaRead',
  qaMine: 'qaRead',
  pollCreate: 'poll',
  pollLaunch: 'poll',
  pollClose: 'poll',
  pollShow: 'poll',
  pollVote: 'poll',
  pollCurrent: 'qaRead',
  react: 'react',
};

export const QA_HANDLERS = {
  qaAsk: qaFlow.ask,
  qaVote: qaFlow.vote,
  qaModerate: qaFlow.moderate,
  qaPin: qaFlow.pin,
  qaWatch: qaFlow.watch,
  qaList: qaFlow.list,
  qaMine: qaFlow.mine,
  pollCreate: pollFlow.create,
  pollLaunch: pollFlow.launch,
  pollClose: pollFlow.close,
  pollShow: pollFlow.show,
  pollVote: pollFlow.vote,
  pollCurrent: pollFlow.current,
  react,
} satisfies Record<QaEvent, Handler>;
