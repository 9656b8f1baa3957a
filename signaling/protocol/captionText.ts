/**
 * What a caption line may contain: the text as the audience will read it, in Unicode NFC (a
 * Vietnamese letter typed as base + combining marks becomes one character), with control
 * characters stripped (line breaks and tabs become spaces: a caption is one line), whitespace
 * runs collapsed, trimmed. Length is counted in characters (code points) after that.
 */
import { CAPTION_MAX_CHARS } from './captions';

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const BREAKS = /[\t\n\r\u2028\u2029]/g;
// Bidirectional overrides and isolates: they reorder what others read (a caption never needs them).
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

export function normalizeCaption(raw: string): string {
  return raw.normalize('NFC').replace(BREAKS, ' ').replace(CONTROLS, '').replace(BIDI, '').replace(/\s+/g, ' ').trim();
}

/** Characters (code points) of a normalised line. */
export const captionLength = (text: string): number => [...text].length;

/** Whether a normalised line is within the limit. */
export const captionFits = (text: string): boolean => captionLength(text) <= CAPTION_MAX_CHARS;
