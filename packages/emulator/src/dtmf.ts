/**
 * The DTMF keypad of ITU-T Q.23: the eight frequencies, the sixteen keys and
 * the word each key is heard as.
 *
 * @module
 */

/**
 * Row frequencies in hertz, top to bottom.
 *
 * @example Frequency of the first row
 * ```ts
 * DTMF_ROWS[0]; // 697
 * ```
 */
export const DTMF_ROWS = [697, 770, 852, 941] as const;

/**
 * Column frequencies in hertz, left to right.
 *
 * @example Frequency of the last column
 * ```ts
 * DTMF_COLUMNS[3]; // 1633
 * ```
 */
export const DTMF_COLUMNS = [1209, 1336, 1477, 1633] as const;

/**
 * The keypad, `DTMF_KEYPAD[row][column]`.
 *
 * @example The key at row 4, column 2
 * ```ts
 * DTMF_KEYPAD[3][1]; // '0'
 * ```
 */
export const DTMF_KEYPAD = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
] as const;

/**
 * A DTMF key: `0`–`9`, `*`, `#` or `A`–`D`.
 *
 * @example Narrow a string
 * ```ts
 * const key: DtmfKey | null = isDtmfKey(text) ? text : null;
 * ```
 */
export type DtmfKey = (typeof DTMF_KEYPAD)[number][number];

const WORDS: Record<DtmfKey, string> = {
  '0': 'zero', '1': 'one', '2': 'two', '3': 'three', '4': 'four',
  '5': 'five', '6': 'six', '7': 'seven', '8': 'eight', '9': 'nine',
  '*': 'star', '#': 'pound', A: 'A', B: 'B', C: 'C', D: 'D',
};

/**
 * Whether a string is one DTMF key (upper-case letters only).
 *
 * @example Check a key
 * ```ts
 * isDtmfKey('#'); // true
 * isDtmfKey('E'); // false
 * ```
 */
export function isDtmfKey(value: string): value is DtmfKey {
  return Object.prototype.hasOwnProperty.call(WORDS, value);
}

/**
 * The word a key is transcribed as: `zero`…`nine`, `star`, `pound`, `A`…`D`.
 *
 * @example Name a key
 * ```ts
 * dtmfWord('#'); // 'pound'
 * ```
 */
export function dtmfWord(key: DtmfKey): string {
  return WORDS[key];
}

/**
 * The row and column frequencies of a key, in hertz.
 *
 * @example Frequencies of "1"
 * ```ts
 * dtmfFrequencies('1'); // { row: 697, column: 1209 }
 * ```
 */
export function dtmfFrequencies(key: DtmfKey): { row: number; column: number } {
  for (let r = 0; r < 4; r++) {
    const c = (DTMF_KEYPAD[r] as readonly string[]).indexOf(key);
    if (c >= 0) return { row: DTMF_ROWS[r] as number, column: DTMF_COLUMNS[c] as number };
  }
  throw new RangeError(`Cannot find DTMF key: ${JSON.stringify(key)} is not one of 0-9 * # A-D`);
}
