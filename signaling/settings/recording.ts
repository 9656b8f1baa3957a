/**
 * Settings of recordings (HLS written by ffmpeg from the SFU's plain RTP) and of the live HLS
 * stream, the delayed fallback for teachers WebRTC cannot reach.
 */
import { z } from 'zod';
import { ipAddress, pathSetting, programSetting, settingDocs } from '../../common/env';

export const recordingSettings = {
  HOINGHI_RECORDINGS_DIR: pathSetting()
    .prefault('recordings')
    .register(settingDocs, { doc: 'Folder of the recordings (HLS playlists and segments, one folder per meeting); a relative folder is made absolute against the working directory at start-up.' }),
  HOINGHI_RECORDING_RETENTION_DAYS: z.coerce
    .number()
    .min(0)
    .max(36_500)
    .default(30)
    .register(settingDocs, { doc: 'Recordings are deleted this many days after they ended. 0: kept forever.' }),
  HOINGHI_RECORDING_MIN_FREE_MB: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .default(2048)
    .register(settingDocs, { doc: 'A recording does not start with less free disk than this, MiB; every recording stops cleanly under a quarter of it.' }),
  HOINGHI_RECORDING_RTP_IP: ipAddress.default('127.0.0.1').register(settingDocs, {
    doc: "Address ffmpeg receives the SFU's plain RTP on; in a cluster, an SFU node must reach it.",
  }),
  HOINGHI_HLS_SEGMENT_S: z.coerce
    .number()
    .min(0.5)
    .max(10)
    .default(2)
    .register(settingDocs, { doc: 'HLS segment length, seconds; the live delay is about three segments.' }),
  HOINGHI_FFMPEG: programSetting()
    .prefault('ffmpeg')
    .register(settingDocs, { doc: "The ffmpeg binary: a name looked up on PATH (Debian's), or a path." }),
  HOINGHI_LIVE_HLS: z
    .enum(['on_demand', 'always', 'off'])
    .default('on_demand')
    .register(settingDocs, {
      doc:
        'Live HLS (the delayed stream for teachers WebRTC cannot reach), recorded or not. `on_demand`: from the first teacher ' +
        "who asks until nobody has watched for `HOINGHI_LIVE_HLS_IDLE_S`; `always`: whenever the main session's host is on air; `off`: never.",
    }),
  HOINGHI_LIVE_HLS_IDLE_S: z.coerce
    .number()
    .min(5)
    .max(86_400)
    .default(60)
    .register(settingDocs, { doc: 'An on-demand live stream stops after this many seconds without a request.' }),
  HOINGHI_LIVE_HLS_WINDOW: z.coerce
    .number()
    .int()
    .min(3)
    .max(100)
    .default(6)
    .register(settingDocs, { doc: 'Segments a live playlist lists (older ones are deleted): window × `HOINGHI_HLS_SEGMENT_S` seconds of live stream.' }),
  HOINGHI_HLS_LINK_SECRET: z
    .string()
    .min(32, 'HOINGHI_HLS_LINK_SECRET must be at least 32 characters')
    .regex(/^[A-Za-z0-9_.~+/=-]+$/, 'HOINGHI_HLS_LINK_SECRET: use letters, digits and _ . ~ + / = - (base64 or hex; it is written into the caches\' nginx configuration)')
    .optional()
    .register(settingDocs, {
      doc:
        'Key of signed HLS links, shared by every signaling node and every HLS cache node (deploy/nginx/hls-cache.conf). Set: a playlist asked for ' +
        'with the token answers with a short-lived signed link that a cache serves to the whole audience without asking the origin. Unset: ' +
        'every HLS request carries the token and is checked by a signaling node (no cache tier).',
      shownDefault: 'unset (no signed links)',
      type: 'string, ≥ 32 characters of `A-Z a-z 0-9 _ . ~ + / = -`',
    }),
  HOINGHI_HLS_LINK_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(900)
    .register(settingDocs, { doc: "How long a signed HLS link is good for, seconds; the page asks for a new one when it expires. A teacher removed from the audience keeps watching at most this long." }),
  HOINGHI_HLS_CACHE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(settingDocs, {
      doc: 'Base URL of the HLS cache tier (e.g. `https://hls.example.vn`) that signed links point at; needs `HOINGHI_HLS_LINK_SECRET`. Unset: signed links are root-relative (`/hls/...` on the page\'s own origin: the signaling nodes, or a balancer that routes `/hls/` to the caches).',
      shownDefault: "unset (the page's own origin)",
      type: '`http://` or `https://` URL',
    }),
};
