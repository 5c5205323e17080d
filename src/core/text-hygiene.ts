import { invalidInput } from './errors.js';

/** How one field of text from the app may look: lengths in code points, counted after normalising and trimming. */
export interface TextRules {
  /** Fewest code points. */
  min: number;
  /** Most code points. */
  max: number;
  /**
   * Free text that may run over lines, such as a supervisor's note: line feeds and tabs are kept, and
   * CR LF or a lone CR becomes a line feed. Everything else (names, reasons, identifiers) is one line. @default false
   */
  multiline?: boolean;
}

// In evidence a court may read, what is shown must be what was stored. These characters change what a
// reader sees without being seen, or break one record into lines a renderer would show as two:
// controls (Cc), format characters (Cf: bidi embeddings, overrides and isolates, zero-width space and
// joiners, U+2060, U+FEFF, soft hyphen, tags), line and paragraph separators, lone surrogates,
// noncharacters, and the other default-ignorable code points (Hangul fillers, variation selectors).
const REFUSED_CLASSES = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}`;
const REFUSED = new RegExp(`[${REFUSED_CLASSES}]`, 'u');
const REFUSED_IN_MULTILINE = new RegExp(`(?![\\n\\t])[${REFUSED_CLASSES}]`, 'u');
// Text with no letter, digit, punctuation or symbol (only spaces and marks with nothing to sit on) shows as blank.
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * The one gate for text entering the log: NFC-normalises it, refuses invisible, bidi and control
 * characters (see {@link TextRules.multiline} for the two a note keeps), trims it, and refuses it blank
 * or outside the length bounds. Throws INVALID_INPUT with `details.field`; returns the value to store.
 */
export function cleanText(value: unknown, field: string, rules: TextRules): string {
  if (typeof value !== 'string') throw invalidInput(`${field} must be text`, { field });
  // Normalising a lone surrogate leaves it in place, so the check below still sees it.
  let normalised = value.normalize('NFC');
  if (rules.multiline) normalised = normalised.replace(/\r\n?/g, '\n');
  const refused = (rules.multiline ? REFUSED_IN_MULTILINE : REFUSED).exec(normalised);
  if (refused) {
    const codePoint = `U+${refused[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw invalidInput(`${field} contains an invisible, bidi or control character (${codePoint})`, { field, codePoint });
  }
  const trimmed = normalised.trim();
  if (rules.min > 0 && !VISIBLE.test(trimmed)) throw invalidInput(`${field} is blank`, { field });
  const length = [...trimmed].length;
  if (length < rules.min || length > rules.max) {
    throw invalidInput(`${field} must be ${rules.min} to ${rules.max} characters long`, { field, length });
  }
  return trimmed;
}
