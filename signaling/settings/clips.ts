/**
 * Settings of the clip library: pre-recorded clips a producer plays from the server into the
 * meeting's backstage (signaling/clips/).
 */
import { pathSetting, programSetting, settingDocs } from '../../common/env';

export const clipSettings = {
  HOINGHI_CLIPS_DIR: pathSetting()
    .prefault('clips')
    .register(settingDocs, {
      doc:
        'Folder of the clips producers can play into a meeting (`.mp4`, `.webm`, `.mkv` files directly in it; sub-folders are ' +
        'not listed); a relative folder is made absolute against the working directory at start-up. `npm start` puts a 20 s test clip in it when it has none.',
    }),
  HOINGHI_FFPROBE: programSetting()
    .prefault('ffprobe')
    .register(settingDocs, { doc: "The ffprobe binary (a clip's length and streams): a name looked up on PATH (Debian's), or a path." }),
};
