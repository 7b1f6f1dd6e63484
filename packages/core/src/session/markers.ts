/**
 * Markers: the `finalize` and `end` messages a stream must send at given
 * stream positions, on every connection that reaches them (a replay sends
 * them again where they fall), and the `cut`s where a frame is cut short
 * though nothing is sent (where speech ended: the audio before the silence
 * goes at once). Pure.
 *
 * @module
 */

/** What a marker sends: `finalize`, `end`, or nothing (`cut`). */
export type MarkerKind = 'finalize' | 'end' | 'cut';

interface Marker {
  at: number;
  kind: MarkerKind;
  /** The connection it was last sent on. */
  sentOn: number;
}

/**
 * The pending markers of a stream.
 *
 * @example
 * ```ts
 * const m = new Markers();
 * m.add(1600, 'finalize');
 * m.boundary(1, 0);  // 1600: a frame is cut short there
 * m.due(1, 1600);    // 'finalize': send it now
 * ```
 */
export class Markers {
  #list: Marker[] = [];

  get size(): number {
    return this.#list.length;
  }

  add(at: number, kind: MarkerKind): void {
    this.#list.push({ at, kind, sentOn: 0 });
  }

  /** The marker to send now on connection `id` (one not yet sent there, at or before `sentUpTo`), marked as sent; or `null`. */
  due(id: number, sentUpTo: number): MarkerKind | null {
    for (const m of this.#list) {
      if (m.sentOn !== id && m.at <= sentUpTo) {
        m.sentOn = id;
        return m.kind;
      }
    }
    return null;
  }

  /** The nearest position after `sentUpTo` where a marker waits on connection `id` (frames are cut short there), or `Infinity`. */
  boundary(id: number, sentUpTo: number): number {
    let at = Infinity;
    for (const m of this.#list) if (m.sentOn !== id && m.at > sentUpTo && m.at < at) at = m.at;
    return at;
  }

  /** Finals confirmed the audio up to `committed`: the `finalize` and `cut` markers before it are done. */
  confirm(committed: number): void {
    if (this.#list.length > 0) this.#list = this.#list.filter((m) => m.kind === 'end' || m.at > committed);
  }
}
