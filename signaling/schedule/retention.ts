/**
 * Retention: meetings that ended more than `days` ago are deleted, and with them (ON DELETE
 * CASCADE) their audience rows and every attendance interval. Checked at start and hourly.
 */
import { logger } from '../../common/log';
import type { Db } from '../db/Db';
import { MeetingRepo } from './meetingRepo';

const log = logger('retention');
const CHECK_EVERY_MS = 3600_000;

export class Retention {
  readonly #repo: MeetingRepo;
  readonly #days: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, days: number) {
    this.#repo = new MeetingRepo(db);
    this.#days = days;
  }

  /** Deletes what is past retention now; returns the number of meetings deleted. */
  async sweep(now = Date.now()): Promise<number> {
    if (this.#days === 0) return 0;
    const deleted = await this.#repo.deleteEndedBefore(new Date(now - this.#days * 86_400_000));
    if (deleted > 0) log.info({ deleted, days: this.#days }, 'deleted meetings past retention');
    return deleted;
  }

  start(): void {
    if (this.#days === 0) return;
    const run = (): void => {
      this.sweep().catch((error: unknown) => log.error({ err: String(error) }, 'retention sweep failed'));
    };
    run();
    this.#timer = setInterval(run, CHECK_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
