/**
 * The page's live captions: the last final lines and the lines being typed (fed by captionsApi.ts),
 * and the teacher's display settings (on/off, size, colours), remembered per teacher in
 * localStorage. Plain data only, its own zustand store like the Q&A's.
 */
import { create } from 'zustand';
import type { CaptionCue } from '../../../signaling/protocol/captions';

export type CaptionSize = 0 | 1 | 2;
export type CaptionContrast = 'white-on-black' | 'yellow-on-black' | 'black-on-white';
export interface CaptionSettings {
  on: boolean;
  size: CaptionSize;
  contrast: CaptionContrast;
}

/** Final lines kept on the page (the captioner's list shows them; viewers the last two). */
const KEPT = 30;
export const DEFAULT_CAPTION_SETTINGS: CaptionSettings = { on: false, size: 1, contrast: 'white-on-black' };
const keyOf = (userId: string): string => `hoinghi.captions.${userId}`;

function readSettings(userId: string | null): CaptionSettings {
  if (!userId || typeof localStorage === 'undefined') return DEFAULT_CAPTION_SETTINGS;
  try {
    const raw = JSON.parse(localStorage.getItem(keyOf(userId)) ?? 'null') as Partial<CaptionSettings> | null;
    if (!raw) return DEFAULT_CAPTION_SETTINGS;
    return {
      on: raw.on === true,
      size: raw.size === 0 || raw.size === 1 || raw.size === 2 ? raw.size : DEFAULT_CAPTION_SETTINGS.size,
      contrast: raw.contrast === 'yellow-on-black' || raw.contrast === 'black-on-white' ? raw.contrast : 'white-on-black',
    };
  } catch {
    return DEFAULT_CAPTION_SETTINGS;
  }
}

export interface CaptionsState {
  /** Final lines, in the order they were finished (a correction replaces its line in place). */
  lines: CaptionCue[];
  /** Lines being typed, by id (gone when their final line arrives, or when cleared). */
  interim: Record<string, CaptionCue>;
  /** The newest final line (or correction), for screen readers. */
  announce: { id: string; text: string; revision: number } | null;
  userId: string | null;
  settings: CaptionSettings;
  /** Cues from the server, in order. */
  receive: (cues: CaptionCue[]) => void;
  /** The last lines (at join): merged with what arrived meanwhile. */
  recent: (lines: CaptionCue[]) => void;
  /** Whose settings these are (the signed-in teacher): read from localStorage. */
  useSettingsOf: (userId: string | null) => void;
  setSettings: (patch: Partial<CaptionSettings>) => void;
  reset: () => void;
}

function withFinal(lines: CaptionCue[], cue: CaptionCue): CaptionCue[] {
  const i = lines.findIndex((l) => l.id === cue.id);
  if (i >= 0) {
    if (lines[i]!.revision >= cue.revision) return lines;
    const next = lines.slice();
    next[i] = cue;
    return next;
  }
  return [...lines, cue].slice(-KEPT);
}

export const useCaptionsStore = create<CaptionsState>()((set, get) => ({
  lines: [],
  interim: {},
  announce: null,
  userId: null,
  settings: DEFAULT_CAPTION_SETTINGS,
  receive: (cues) => {
    let { lines, interim, announce } = get();
    interim = { ...interim };
    for (const cue of cues) {
      if (cue.final) {
        const before = lines;
        lines = withFinal(lines, cue);
        delete interim[cue.id];
        if (lines !== before) announce = { id: cue.id, text: cue.text, revision: cue.revision };
      } else if (!lines.some((l) => l.id === cue.id)) {
        if (cue.text === '') delete interim[cue.id];
        else interim[cue.id] = cue;
      }
    }
    set({ lines, interim, announce });
  },
  recent: (recent) => {
    let lines: CaptionCue[] = [];
    for (const cue of [...recent, ...get().lines]) lines = withFinal(lines, cue);
    set({ lines });
  },
  useSettingsOf: (userId) => {
    if (get().userId === userId) return;
    set({ userId, settings: readSettings(userId) });
  },
  setSettings: (patch) => {
    const settings = { ...get().settings, ...patch };
    const userId = get().userId;
    if (userId && typeof localStorage !== 'undefined') localStorage.setItem(keyOf(userId), JSON.stringify(settings));
    set({ settings });
  },
  reset: () => set({ lines: [], interim: {}, announce: null }),
}));
