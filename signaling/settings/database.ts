/**
 * Settings of the system of record (PostgreSQL, or embedded PGlite) and of what is written to it:
 * attendance batches and retention, and how many meetings one account may schedule.
 */
import { z } from 'zod';
import { pathSetting, settingDocs } from '../../common/env';

export const databaseSettings = {
  HOINGHI_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'HOINGHI_DATABASE_URL must be a postgres:// URL')
    .optional()
    .register(settingDocs, {
      doc: 'PostgreSQL server for organisation, meetings and attendance. Wins over `HOINGHI_DATA_DIR`.',
      type: '`postgres://` or `postgresql://` URL',
    }),
  HOINGHI_DATA_DIR: pathSetting('memory://')
    .optional()
    .register(settingDocs, {
      doc:
        'Folder of the embedded database (PGlite), or `memory://`. With neither this nor `HOINGHI_DATABASE_URL`, there is no ' +
        "database and meetings come from the tokens' meeting lists. `scripts/start.sh` sets `data`.",
      shownDefault: 'unset: no database',
    }),
  HOINGHI_DB_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(200).default(10).register(settingDocs, { doc: 'Connections in the PostgreSQL pool.' }),
  HOINGHI_ATTENDANCE_FLUSH_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(1000)
    .register(settingDocs, { doc: 'Attendance rows are written off the join path every this many ms, or sooner when `HOINGHI_ATTENDANCE_BATCH_ROWS` are waiting. The writer of questions uses it too.' }),
  HOINGHI_ATTENDANCE_BATCH_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(2000)
    .register(settingDocs, { doc: 'Rows waiting that start a write before `HOINGHI_ATTENDANCE_FLUSH_MS` has passed.' }),
  HOINGHI_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(36_500)
    .default(365)
    .register(settingDocs, { doc: 'Days that ended meetings and their attendance are kept; then they are really deleted. 0: forever.' }),
  HOINGHI_MEETINGS_PER_HOUR: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(20)
    .register(settingDocs, {
      doc:
        'Meetings one account may schedule in an hour (the last 60 minutes); more are refused with `quota_exceeded` (429, ' +
        '`Retry-After`). Keeps a runaway script or form from burying the live meetings in everyone\'s list. 0: no limit.',
    }),
  HOINGHI_MEETINGS_NOT_ENDED: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(100)
    .register(settingDocs, {
      doc: 'Meetings not yet ended (scheduled, open or live) one account may have; one more is refused with `quota_exceeded` (429) until one ends or is deleted. 0: no limit.',
    }),
};
