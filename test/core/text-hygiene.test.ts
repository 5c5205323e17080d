import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/core/errors.js';
import { cleanText, type TextRules } from '../../src/core/text-hygiene.js';

const LINE: TextRules = { min: 1, max: 100 };
const NOTE: TextRules = { min: 1, max: 100, multiline: true };

function refusal(value: unknown, field: string, rules: TextRules): BridgeError {
  try {
    cleanText(value, field, rules);
  } catch (error) {
    expect(BridgeError.isInstance(error), `expected a BridgeError, got ${String(error)}`).toBe(true);
    expect((error as BridgeError).code).toBe('INVALID_INPUT');
    return error as BridgeError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

// The issue's list, each by code point: bidi embeddings and overrides, isolates, zero-width characters, word joiner, BOM.
const ISSUE_CODE_POINTS = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff];
const C0 = Array.from({ length: 0x20 }, (_, i) => i);
const C1 = [0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)];
// Other format and default-ignorable characters: soft hyphen, Arabic letter mark, Mongolian vowel separator,
// left-to-right mark, Hangul filler, variation selector 16, a tag letter, an Arabic number sign, an interlinear annotation anchor.
const OTHER_INVISIBLE = [0x00ad, 0x061c, 0x180e, 0x200e, 0x3164, 0xfe0f, 0xe0041, 0x0600, 0xfff9];

describe('cleanText refuses what a reader would not see', () => {
  it.each(ISSUE_CODE_POINTS.map((c) => [hex(c), c]))('refuses %s in one-line text and in a note, naming the field and the character', (_, codePoint) => {
    const value = `Stop and ${String.fromCodePoint(codePoint)}search`;
    for (const rules of [LINE, NOTE]) {
      const error = refusal(value, 'officer.force', rules);
      expect(error.details).toEqual({ field: 'officer.force', codePoint: hex(codePoint) });
      expect(error.message).toContain('officer.force');
    }
  });

  it('refuses each C0 and C1 control in one-line text', () => {
    for (const codePoint of [...C0, ...C1]) {
      expect(refusal(`a${String.fromCodePoint(codePoint)}b`, 'reason', LINE).details).toEqual({ field: 'reason', codePoint: hex(codePoint) });
    }
  });

  it('keeps line feed and tab in a note, and refuses every other control there', () => {
    expect(cleanText('checked roster\n\twarrant card seen', 'note', NOTE)).toBe('checked roster\n\twarrant card seen');
    for (const codePoint of [...C0, ...C1].filter((c) => c !== 0x0a && c !== 0x09 && c !== 0x0d)) {
      expect(refusal(`a${String.fromCodePoint(codePoint)}b`, 'note', NOTE).details).toEqual({ field: 'note', codePoint: hex(codePoint) });
    }
  });

  it('turns CR LF and a lone CR into a line feed in a note, and refuses both in one-line text', () => {
    expect(cleanText('one\r\ntwo\rthree', 'note', NOTE)).toBe('one\ntwo\nthree');
    expect(refusal('one\r\ntwo', 'reason', LINE).details).toEqual({ field: 'reason', codePoint: 'U+000D' });
  });

  it.each([
    ['U+2028', '\u2028'],
    ['U+2029', '\u2029'],
  ])('refuses the separator %s even in a note', (codePoint, separator) => {
    expect(refusal(`one${separator}two`, 'note', NOTE).details).toEqual({ field: 'note', codePoint });
    expect(refusal(`one${separator}two`, 'reason', LINE).details).toEqual({ field: 'reason', codePoint });
  });

  it.each(OTHER_INVISIBLE.map((c) => [hex(c), c]))('refuses the other invisible character %s', (codePoint, value) => {
    expect(refusal(`a${String.fromCodePoint(value)}b`, 'officer.name', LINE).details).toEqual({ field: 'officer.name', codePoint });
  });

  it('refuses lone surrogates and noncharacters, and keeps a surrogate pair', () => {
    expect(refusal('a\ud800b', 'note', NOTE).details).toEqual({ field: 'note', codePoint: 'U+D800' });
    expect(refusal('a\udc00', 'note', NOTE).details).toEqual({ field: 'note', codePoint: 'U+DC00' });
    expect(refusal('a\ufffe', 'note', NOTE).details).toEqual({ field: 'note', codePoint: 'U+FFFE' });
    expect(refusal('a\u{10ffff}', 'note', NOTE).details).toEqual({ field: 'note', codePoint: 'U+10FFFF' });
    expect(refusal('a\ufdd0', 'note', NOTE).details).toEqual({ field: 'note', codePoint: 'U+FDD0' });
    expect(cleanText('smiled \u{1f600}', 'note', NOTE)).toBe('smiled \u{1f600}');
  });

  it('refuses a newline in an actor, even at the end where trimming would hide it', () => {
    expect(refusal('cli:jsmith\nsupervisor:PS1', 'actor', LINE).details).toEqual({ field: 'actor', codePoint: 'U+000A' });
    expect(refusal('cli:jsmith\n', 'actor', LINE).details).toEqual({ field: 'actor', codePoint: 'U+000A' });
  });
});

describe('cleanText refuses blank text', () => {
  it('refuses a reason of ten zero-width spaces', () => {
    expect(refusal('\u200b'.repeat(10), 'reason', { min: 10, max: 500 }).details).toEqual({ field: 'reason', codePoint: 'U+200B' });
  });

  it.each([
    ['spaces', '          '],
    ['no-break and ideographic spaces', '\u00a0\u3000\u2003\u00a0\u3000\u2003\u00a0\u3000\u2003\u00a0'],
    ['combining marks with nothing to sit on', '\u0301'.repeat(12)],
    ['nothing', ''],
  ])('refuses a reason of %s', (_, value) => {
    expect(refusal(value, 'reason', { min: 10, max: 500 }).details).toEqual({ field: 'reason' });
  });

  it('allows empty text only where the minimum is zero', () => {
    expect(cleanText('  ', 'optional', { min: 0, max: 5 })).toBe('');
  });
});

describe('cleanText normalises', () => {
  it('stores "e" + combining acute as the one character é (NFC)', () => {
    const stored = cleanText('Jos\u0065\u0301 Garc\u0069\u0301a', 'officer.name', LINE);
    expect(stored).toBe('Jos\u00e9 Garc\u00eda');
    expect(stored).toBe('José García'.normalize('NFC'));
    expect([...stored]).toHaveLength(11);
  });

  it('composes Hangul jamo and keeps compatibility characters (NFC, not NFKC)', () => {
    expect(cleanText('\u1100\u1161', 'officer.name', LINE)).toBe('\uac00');
    expect(cleanText('ﬁne Ｆ', 'officer.name', LINE)).toBe('ﬁne Ｆ');
  });

  it('trims spaces around the text', () => {
    expect(cleanText('  \u00a0Jane Smith \u3000', 'officer.name', LINE)).toBe('Jane Smith');
  });

  it('counts length in code points after NFC and trimming', () => {
    const rules = { min: 3, max: 4 };
    // Six code points as typed, three once composed: accepted.
    expect(cleanText('e\u0301e\u0301e\u0301', 'x', rules)).toBe('\u00e9\u00e9\u00e9');
    // Four astral characters are eight UTF-16 units but four code points.
    expect(cleanText('\u{1f46e}\u{1f46e}\u{1f46e}\u{1f46e}', 'x', rules)).toHaveLength(8);
    expect(refusal('\u{1f46e}'.repeat(5), 'x', rules).details).toEqual({ field: 'x', length: 5 });
    expect(refusal('  ab  ', 'x', rules).details).toEqual({ field: 'x', length: 2 });
  });
});

describe('cleanText refuses what is not text', () => {
  it.each([null, undefined, 42, true, {}, [], ['Jane'], { toString: () => 'Jane' }])('refuses %j, naming the field', (value) => {
    expect(refusal(value, 'supervisor.name', LINE).details).toEqual({ field: 'supervisor.name' });
  });
});
