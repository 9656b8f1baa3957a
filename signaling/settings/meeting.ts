/**
 * Settings of a meeting's behaviour: how often hosts hear of it, how many may speak and consume,
 * when it takes the mass-audience media profile, and how stuck work is recovered.
 */
import { z } from 'zod';
import { settingDocs } from '../../common/env';

export const meetingSettings = {
  HOINGHI_STATS_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .register(settingDocs, { doc: 'How often hosts receive attendance numbers, ms.' }),
  HOINGHI_HAND_SUMMARY_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(10_000)
    .default(500)
    .register(settingDocs, { doc: 'Hosts get hand-queue summaries at most this often, ms (one summary, never an event per raised hand).' }),
  HOINGHI_MAX_SPEAKERS: z.coerce.number().int().min(0).max(50).default(2).register(settingDocs, { doc: 'Concurrent teacher speakers (invited or speaking).' }),
  HOINGHI_DEPARTURE_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(60_000)
    .register(settingDocs, { doc: "A disconnected participant's hand and speaking grant survive this long, ms, so a reconnect keeps them." }),
  HOINGHI_MAX_PARTICIPANTS: z.coerce
    .number()
    .int()
    .positive()
    .max(10_000_000)
    .default(100_000)
    .register(settingDocs, { doc: 'Participants per meeting on this process.' }),
  HOINGHI_MAX_CONSUMERS_PER_PEER: z.coerce.number().int().min(1).max(1000).default(24).register(settingDocs, { doc: 'Consumers per participant.' }),
  HOINGHI_MASS_AUDIENCE_VIEWERS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .default(300)
    .register(settingDocs, {
      doc:
        'Viewers (cluster-wide) from which a meeting is "large" and gets the mass-audience media profile: receive-only viewers ' +
        "who start consuming get the middle simulcast layer and no transport-cc (`HOINGHI_MASS_AUDIENCE_BWE`), and hosts' " +
        'microphones Opus 60 ms + DTX. 0: never.',
    }),
  HOINGHI_MASS_AUDIENCE_BWE: z
    .enum(['remb', 'none'])
    .default('none')
    .register(settingDocs, {
      doc:
        "Bandwidth estimation for mass-audience viewers. `none`: no estimator at all, which costs the SFU less CPU per viewer; the viewer's " +
        'page lowers its own layers on loss and raises them when the link is quiet (`setLayerCeiling`). `remb`: the SFU follows ' +
        "each viewer's REMB, switching layers down on a weak link by itself.",
    }),
  HOINGHI_QUEUE_STALL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(10_000)
    .register(settingDocs, {
      doc:
        "A task of a serial queue (a meeting's event queue, a socket's events, a batch writer) still running after this long, ms, " +
        'is logged, counted (`hoinghi_queue_stalls_total`) and left behind, and the meeting reloads its state from the store: a ' +
        'bug degrades one action, never freezes a meeting.',
    }),
};
