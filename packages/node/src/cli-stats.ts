/**
 * `--stats`: the summary a streaming command prints on stderr when it ends
 * (the latency of the finals as the transcriber measured it, and what its
 * connections did), one block of aligned lines.
 *
 * @module
 */
import type { Transcriber, TranscriberStats } from '@stt-stream/core';
import type { CliIo } from './cli-common.ts';

const ms = (v: number | null, none: string) => (v === null ? none : `${Math.round(v)} ms`);
const secs = (v: number) => `${v.toFixed(2)} s`;

/**
 * The `--stats` block for a transcriber's `stats` and the number of finals
 * it delivered, e.g.:
 *
 * ```text
 * stt-stream: stats
 *   finals              2
 *   latency p50         152 ms
 *   latency p95         160 ms
 *   latency max         160 ms
 *   first interim p50   140 ms
 *   connections         1
 *   reconnects          0
 *   replayed            0.00 s
 *   gaps                0.00 s
 * ```
 *
 * Latency is the wall time from the last send of a final's last sample to
 * the final's arrival (see core's README, "Latency and metrics"); a figure
 * with nothing measured yet reads `n/a`. With voice activity detection
 * (`--vad`) two rows follow: the audio sent (replays included) and the
 * silence kept back, with its share of the audio:
 *
 * ```text
 *   audio sent          3.10 s
 *   silence skipped     8.90 s (74 %)
 * ```
 */
export function formatStats(
  stats: Pick<TranscriberStats, 'latency' | 'connections' | 'reconnects' | 'replayedSeconds' | 'gapSeconds' | 'sentSeconds' | 'skippedSeconds'>,
  finals: number,
  interims: boolean,
  voiceActivity = false,
): string {
  const { latency } = stats;
  const rows: [string, string][] = [
    ['finals', latency.count === finals ? String(finals) : `${finals} (${latency.count} with a latency)`],
    ['latency p50', ms(latency.p50, 'n/a')],
    ['latency p95', ms(latency.p95, 'n/a')],
    ['latency max', ms(latency.max, 'n/a')],
    ['first interim p50', ms(latency.firstInterimP50, interims ? 'n/a' : 'n/a (no interims asked for)')],
    ['connections', String(stats.connections)],
    ['reconnects', String(stats.reconnects)],
    ['replayed', secs(stats.replayedSeconds)],
    ['gaps', secs(stats.gapSeconds)],
  ];
  if (voiceActivity) {
    // Of the audio: what was sent once (the replays are in sentSeconds too) and what was not.
    const audio = stats.sentSeconds - stats.replayedSeconds + stats.skippedSeconds;
    const share = audio > 0 ? ` (${Math.round((100 * stats.skippedSeconds) / audio)} %)` : '';
    rows.push(['audio sent', secs(stats.sentSeconds)], ['silence skipped', `${secs(stats.skippedSeconds)}${share}`]);
  }
  return `stt-stream: stats\n${rows.map(([k, v]) => `  ${k.padEnd(20)}${v}\n`).join('')}`;
}

/**
 * Counts a transcriber's finals (from its `metrics` event) and returns the
 * function that writes the `--stats` block on stderr; call that once, when
 * the command ends (it writes synchronously, so it may run just before an
 * exit).
 */
export function watchStats(io: CliIo, transcriber: Transcriber, interims: boolean, voiceActivity = false): () => void {
  let finals = 0;
  let printed = false;
  transcriber.events.on('metrics', () => {
    finals++;
  });
  return () => {
    if (printed) return;
    printed = true;
    io.stderr.write(formatStats(transcriber.stats, finals, interims, voiceActivity));
  };
}
