/** Unified diff of two texts (`-` for `a`, `+` for `b`), with where a replaced line first differs. Empty when equal. */
export function diffLines(a: string, b: string, context?: number): string;
