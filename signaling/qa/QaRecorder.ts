/**
 * Where questions, votes, polls and reactions go to be kept (the database: qaWriter.ts). Calls
 * only queue: the writer saves in batches, off the path of the event that caused them.
 */
import type { Poll, QaQuestion, ReactionKind } from '../protocol/qa';

export interface QaRecorder {
  /** A question asked or moderated (its latest state; votes are counted from the vote rows). */
  question(meetingId: string, question: QaQuestion): void;
  questionVote(meetingId: string, questionId: string, userId: string, at: number): void;
  /** A poll created, launched, closed or shown. */
  poll(meetingId: string, poll: Poll): void;
  pollVote(meetingId: string, pollId: string, vote: { userId: string; province: string | null; choices: number[]; at: number }): void;
  reaction(meetingId: string, kind: ReactionKind, province: string | null): void;
}

export const NO_QA_RECORDER: QaRecorder = {
  question: () => undefined,
  questionVote: () => undefined,
  poll: () => undefined,
  pollVote: () => undefined,
  reaction: () => undefined,
};
