/**
 * Chooses the admission once at start-up: `RedisAdmission` when `HOINGHI_REDIS_URL` is set (one
 * join rate and one queue for the cluster), `LocalAdmission` otherwise. Also settles the key of
 * the resume tickets, which every node must share.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { logger } from '../../common/log';
import { closeRedis, connectRedis } from '../../common/redis';
import { LocalAdmission } from './LocalAdmission';
import { RedisAdmission } from './RedisAdmission';
import { ResumeTickets } from './ResumeTickets';
import type { Admission, AdmissionOptions } from './types';

const log = logger('admission');
const SHARED_KEY = 'hoinghi:admission:resume-key';

export interface AdmissionSettings extends AdmissionOptions {
  /** How long a resume ticket puts its holder in the rejoin lane, ms. */
  resumeTicketTtlMs: number;
  /** The resume tickets' key material (HOINGHI_ADMISSION_SECRET), if set. */
  secret: string | undefined;
  /** The HS256 token secret, if tokens use one: a stable fallback key on a single node. */
  tokenSecret: string | undefined;
}

const derive = (material: string | Buffer): Buffer => createHmac('sha256', material).update('hoinghi resume tickets').digest();

export async function createAdmission(
  settings: AdmissionSettings,
  redisUrl: string | undefined,
): Promise<{ admission: Admission; tickets: ResumeTickets }> {
  const { joinsPerSecond, burst, holdMs, ticketTtlMs, maxQueue } = settings;
  const options = { joinsPerSecond, burst, holdMs, ticketTtlMs, maxQueue };
  if (!redisUrl) {
    const key = derive(settings.secret ?? settings.tokenSecret ?? randomBytes(32));
    return { admission: new LocalAdmission(options), tickets: new ResumeTickets(key, settings.resumeTicketTtlMs) };
  }
  const redis = await connectRedis(redisUrl, log);
  let material: string | null = settings.secret ?? null;
  if (material === null) {
    // The first node to start picks the key; the others read it.
    await redis.set(SHARED_KEY, randomBytes(32).toString('base64url'), { NX: true });
    material = await redis.get(SHARED_KEY);
    if (material === null) throw new Error('could not settle the resume-ticket key in Redis');
  }
  await closeRedis(redis);
  const admission = await RedisAdmission.create(redisUrl, options);
  log.info({ joinsPerSecond, burst }, 'cluster-wide admission in Redis');
  return { admission, tickets: new ResumeTickets(derive(material), settings.resumeTicketTtlMs) };
}
