// Renders bench/out/results.json as bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from './util.mjs';

const f = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const int = (x) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const KiB = (b) => (b === undefined || Number.isNaN(b) ? '–' : `${(b / 1024).toFixed(1)} KiB`);
const MiB = (b) => (b === undefined || Number.isNaN(b) ? '–' : `${(b / 1048576).toFixed(1)} MiB`);
const ok = (cond) => (cond === undefined ? '' : cond ? 'met' : '**missed**');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Median over reps of a/b, paired by rep (both ran in the same round). */
function pairedRatio(a, b, key, fn = (x, y) => x / y) {
  if (!a || !b) return NaN;
  const n = Math.min(a.all.length, b.all.length);
  const r = [];
  for (let i = 0; i < n; i++) r.push(fn(a.all[i][key], b.all[i][key], i));
  return median(r);
}

export function writeResults(res, file) {
  const out = [];
  const targets = [];
  const m = res.machine;
  out.push('# stt-stream benchmarks (issue 8)\n');
  out.push('Every number is a ratio against a baseline measured in the same process or the same run (baseline and subject interleaved, median of the runs), because the machine is shared; absolute speeds are shown for reference only. The server side always runs in a separate process.\n');
  out.push(`**Machine**: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node} (V8 ${m.v8}); load average at start ${m.loadavgAtStart.join(' / ')} (other jobs were running); ${m.date}.`);
  out.push(`**Settings**: ${JSON.stringify(res.settings)}`);
  if (res.lastPartialRun) out.push(`**Last partial run** (rows ${res.lastPartialRun.rows.join(', ')}): ${res.lastPartialRun.date}, load ${res.lastPartialRun.loadavgAtStart.join(' / ')}.`);
  out.push('');
  out.push('## How to rerun\n');
  out.push('```sh\npnpm install\npnpm bench                       # everything (over an hour; rows 3 and 3s most of it): writes bench/RESULTS.md and bench/out/results.json\npnpm bench -- --only pipeline,weight   # some rows; other rows keep their last numbers\nnode bench/run.mjs --only telephony    # row 7 alone (200 calls; --calls N, --conc-seconds S)\nnode bench/run.mjs --only calls        # row 7b alone (200 two-party calls; --calls N, --conc-seconds S; needs espeak-ng and sox)\nnode bench/run.mjs --only latency      # row 8 alone (200 sessions; --latency-sessions N, --conc-seconds S)\nnode bench/run.mjs --only speechend    # row 8b alone (50 sessions a configuration; --speechend-sessions N, --speechend-delay MS)\nnode bench/run.mjs --only steady --before ab68ba8   # rows 3s and 7 also run ours as built at that commit (the default; none: off)\nnode bench/run.mjs --only vad          # row 9 alone (about 3 minutes; needs espeak-ng and sox)\npnpm bench -- --quick            # a smoke run (short, 1 rep)\nnode bench/size-check.mjs        # the CI size check of the browser entry\n```\n');
  out.push('The subjects are bundled from the workspace sources (`source` condition) into `bench/.build/` at start, so a run measures the tree as it is. `sox` is used for the resampler reference when installed (row 9 needs it, and `espeak-ng`); `openssl` makes the self-signed certificate for `wss://`.\n');

  const p = res.pipeline;
  if (p) {
    out.push('## 1. Core pipeline (one process, CPU time, median of interleaved rounds)\n');
    const pt = p.passthrough;
    const c = p.convert48kStereo;
    out.push(
      table(['measure', 'ours', 'baseline', 'ratio', 'target', ''], [
        ['16 kHz s16 mono passthrough, 4096-sample blocks → 100 ms wire frames (the transcriber\'s path: `convert`, replay blocks, frame views)', `${int(pt.transcriberXRealtime)}× RT`, `\`TypedArray.set\` into one buffer: ${int(pt.copyXRealtime)}× RT`, f(pt.transcriberRatioVsCopy, 3), '≥ 0.5', ok(pt.transcriberRatioVsCopy >= 0.5)],
        ['48 kHz f32 stereo → 16 kHz s16 mono, 100 ms blocks (the transcriber\'s path)', `${int(c.block4800.transcriberXRealtime)}× RT`, `copy: ${int(c.block4800.copyXRealtime)}× RT`, f(c.block4800.transcriberXRealtime / c.block4800.copyXRealtime, 4), '≥ 1000× RT', ok(c.block4800.transcriberXRealtime >= 1000)],
        ['  same, 128-frame blocks (AudioWorklet quantum), transcriber\'s path', `${int(c.block128.transcriberXRealtime)}× RT`, `copy: ${int(c.block128.copyXRealtime)}× RT`, f(c.block128.transcriberXRealtime / c.block128.copyXRealtime, 4), '', ''],
      ]),
    );
    targets.push(['passthrough ≥ 0.5× plain copy (transcriber\'s path)', f(pt.transcriberRatioVsCopy, 3), pt.transcriberRatioVsCopy >= 0.5]);
    targets.push(['48k f32 stereo → 16k s16 mono ≥ 1000× RT (transcriber\'s path)', `${int(c.block4800.transcriberXRealtime)}×`, c.block4800.transcriberXRealtime >= 1000]);
    out.push('\n### Resampler speed (mono, 100 ms blocks; libsamplerate is @alexanderolsen/libsamplerate-js, WebAssembly, `full()` streaming API)\n');
    const rows = [];
    for (const [conv, row] of Object.entries(p.resamplerSpeed)) {
      for (const [name, v] of Object.entries(row)) rows.push([conv.replace('to', ' → '), name, `${int(v.xRealtime)}× RT`, name === 'ours' ? '1' : `ours ${f(v.oursSpeedup, 1)}× faster`]);
    }
    out.push(table(['conversion', 'resampler', 'speed', 'ratio'], rows));
    out.push('\n### Resampler quality, 48 kHz → 16 kHz\n');
    out.push('Passband ripple over 0.1–5.76 kHz (our documented flat band, 30 tones); −3 dB point (25 Hz scan); stopband: worst alias level of tones from 8.96 to 23.9 kHz (150 Hz steps), and separately of 8.0–8.96 kHz (our transition band, which aliases above our −3 dB point by design); SNR against `sox … rate -v 16000` on 5 s of 24 tones in 60–5000 Hz (best integer lag).\n');
    out.push(
      table(['resampler', 'ripple (dB)', '−3 dB (Hz)', 'stopband ≥ 8.96 kHz (dB)', '8–8.96 kHz (dB)', `SNR vs sox -v (dB)`], Object.entries(p.resamplerQuality).map(([name, q]) => [
        name, f(q.passbandRippleDb, 4), int(q.minus3dBHz), f(q.stopbandAttenuationDb, 1), f(q.attenuation8to896kHzDb, 1), q.snrVsSoxDb ? `${f(q.snrVsSoxDb.snr, 1)} (lag ${q.snrVsSoxDb.lag})` : 'no sox',
      ])),
    );
  }

  const b = res.bulk;
  if (b) {
    const sec = res.settings.bulkSeconds;
    out.push(`\n## 2. Loopback bulk: ${sec / 3600 === 1 ? 'one hour' : `${sec} s`} of 16 kHz mono s16 as 100 ms frames, as fast as the client lets it\n`);
    out.push('Server: the emulator (`engine: \'silent\'`) in another process; `wss://` through a TLS-terminating proxy in that process (the emulator has no TLS), self-signed certificate made at bench time. `raw` = `ws` with the same 64 KiB high-water mark as ours, resumed from send callbacks; `raw-writable` = the same behind a `WritableStream` fed by a writer (what the Web Streams API costs by itself: the floor for any client that is a `TransformStream`); `raw-unbounded`, Deepgram and AssemblyAI send with no back-pressure (their APIs have none), yielding to the event loop every 10 frames. Time runs from the first frame to the server\'s end-of-session answer. Peak socket buffer: largest `ws` `bufferedAmount` right after a send (for ours also `stats.socketBufferedBytes`, sampled). Memory retained: heap + external after the stream ended and a GC, minus before it started.\n');
    const rows = [];
    for (const [name, v] of Object.entries(b)) {
      const scheme = name.split(' ')[1];
      const ratio = pairedRatio(v, b[`raw ${scheme}`], 'xRealtime');
      const cpuRatio = pairedRatio(v, b[`raw ${scheme}`], 'cpuSeconds');
      rows.push([name, `${int(v.xRealtime)}×`, f(ratio, 2), `${f((v.cpuSeconds * 3600) / sec, 2)} s`, f(cpuRatio, 2), KiB(v.peakSocketBuffered), name.startsWith('ours') ? KiB(v.peakStatsBuffered) : '', name.startsWith('ours') ? KiB(v.peakRetained) : '', MiB(v.peakRssDelta), MiB(v.retainedAfter)]);
    }
    out.push(table(['subject', '× real time', 'vs raw (same scheme)', 'client CPU per audio hour', 'CPU vs raw', 'peak socket buffer', 'stats.socketBufferedBytes peak', 'replay buffer peak', 'peak RSS growth', 'retained after'], rows));
    for (const scheme of ['ws', 'wss']) {
      const r = pairedRatio(b[`ours ${scheme}`], b[`raw ${scheme}`], 'xRealtime');
      targets.push([`bulk ${scheme}:// ≥ 0.9× raw ws`, f(r, 2), r >= 0.9]);
      const peak = b[`ours ${scheme}`]?.peakSocketBuffered;
      targets.push([`bulk ${scheme}:// socket buffer ≤ high-water mark (64 KiB + one frame)`, KiB(peak), peak <= 65536 + 3200 + 14]);
    }
  }

  const sd = res.steady;
  const concurrencyTables = [
    [100, res.concurrency, false],
    ...Object.entries(res.concurrencyByFrame ?? {}).map(([ms, t]) => [Number(ms), t, false]),
    ...Object.entries(sd?.byFrame ?? {}).map(([ms, t]) => [Number(ms), t, true]).sort((x, y) => y[0] - x[0]),
  ];
  let steadyHeader = false;
  const beforeSha = sd?.before ?? res.telephony?.before;
  for (const [frameMs, cc, steady] of concurrencyTables) {
    if (!cc) continue;
    const tag = steady ? `, ${frameMs} ms frames, after ${sd.warmupSeconds} s` : frameMs === 100 ? '' : `, ${frameMs} ms frames`;
    if (steady) {
      if (!steadyHeader) {
        steadyHeader = true;
        out.push(`\n## 3s. Steady state: row 3's confirming and retaining subjects after ${sd.warmupSeconds} s of paced sending\n`);
        out.push(`The same measure as rows 3 and 3b (${sd.seconds} s window, ${sd.reps} round${sd.reps === 1 ? '' : 's'}), started after ${sd.warmupSeconds} s instead of row 3's ${sd.rowThreeWarmupSeconds} s. A Node process grows its young generation (V8's new space) with what survives its scavenges, and keeps it grown. After row 3's warm-up some subjects have grown it and others not yet: at 200 sessions on 2026-12-07, 16 MiB of RSS, or 80 KiB a session (ANALYSIS.md, row 3s). After a minute every subject has, as in a service that runs for hours, and the silent engine's replay windows are full. **New space**: its size at the end of the window.\n`);
        if (sd.before) out.push(`**The CPU guard**: each of ours' subjects also runs as built from the packages at commit ${sd.before} (\`--before\`; \`bench/lib/build.mjs\` bundles them from \`git archive\`), right after today's in every round; **vs ${sd.before}** is today's CPU per session-second over that build's, harness subtracted, paired by round (median, then each round). The owner's guard: within 1.05.\n`);
      }
    } else if (frameMs === 100) {
      out.push(`\n## 3. Concurrency: sessions in one process, 100 ms frames at real-time pace for ${res.settings.concSeconds} s\n`);
      out.push(`Client CPU is this process's user+system time over the paced window (after ${res.settings.concWarmupSeconds ?? 0} s of paced sending as warm-up), minus the harness (\`null\`: the same timers and frames, no sockets), per session-second. \`raw-writable\`: raw \`ws\` behind a \`WritableStream\` (the Web Streams floor of the writable side). \`ours-confirmed\`: ours against an emulator whose engine sends an empty final for every second it heard (as real recognisers finalise silence), so the replay window holds about a second; \`ours\` runs against the silent engine, which never confirms anything. \`raw-writable-retaining\`: raw-writable that also keeps the last 30 s it sent for a replay, as the protocol asks of a client and ours does against the silent engine, in the cheapest way (one ring per session allocated at connect, each frame copied in): the floor \`ours\` is compared with. \`raw-writable-confirmed\`: raw-writable against the confirming engine, parsing every message; \`raw-transform-confirmed\`: the same, every transcript also delivered through a \`ReadableStream\` that is read as ours' is (the Web Streams floor of a \`TransformStream\` client, which \`ours-confirmed\` is compared with). **MC**: mark-compact collections in the window (median): on Node 20 a process settles, after its first mark-compact in a calm phase, into one at nearly every young-generation fill, and that regime decides most of a subject's CPU (ANALYSIS.md, row 3). Lateness: each frame carries its due time; measured when \`ws\` hands it to the kernel (send callback). Server in another process. Ratios are paired by round.\n`);
    } else {
      out.push(`\n## 3b. Concurrency with ${frameMs} ms frames (${1000 / frameMs} writes a second per session, as telephony media streams deliver them)\n`);
      out.push(`The same measure as row 3, each session writing ${frameMs} ms of 16 kHz mono per write; ours with \`frameMs: ${frameMs}\`, so every subject sends one message per write.\n`);
    }
    for (const [n, runs] of Object.entries(cc)) {
      const nul = runs['null ws'];
      const secs = (v, i) => v.all[i].seconds ?? res.settings.concSeconds;
      const per = (v) => (i) => ((v.all[i].cpuSeconds - nul.all[i].cpuSeconds) * 1e3) / (Number(n) * secs(v, i));
      const rows = [];
      const hasBefore = Object.keys(runs).some((k) => k.includes('@before'));
      for (const [name, v] of Object.entries(runs)) {
        if (name === 'null ws') {
          rows.push([name + ' (harness)', `${f((v.cpuSeconds * 1e3) / (Number(n) * secs(v, 0)), 3)} (not subtracted)`, '', '', '', '', '', '', '', MiB(v.peakRss), MiB(v.newSpaceBytes), ...(hasBefore ? [''] : [])]);
          continue;
        }
        const scheme = name.split(' ')[1];
        if (name.includes('@before')) {
          // The same subject built at the --before commit: its own figures; the ratio is on today's row.
          const idx = [...Array(Math.min(v.all.length, nul.all.length)).keys()];
          const mc = median(v.all.map((x) => x.gc?.major).filter((x) => x !== undefined));
          rows.push([name.replace('@before', ` @${beforeSha}`), f(median(idx.map(per(v))), 3), '', '', '', Number.isFinite(mc) ? String(mc) : '', f(v.p50LatenessMs, 2), f(v.p99LatenessMs, 2), f(v.maxLatenessMs, 1), MiB(v.peakRss), MiB(v.newSpaceBytes), '1']);
          continue;
        }
        const before = runs[name.replace(' ', '@before ')];
        let guard = '';
        if (before) {
          const idx = [...Array(Math.min(v.all.length, before.all.length, nul.all.length)).keys()];
          const ratios = idx.map((i) => per(v)(i) / per(before)(i));
          const g = median(ratios);
          guard = `**${f(g, 3)}**${ratios.length > 1 ? ` (${ratios.map((x) => f(x, 2)).join(', ')})` : ''}`;
          targets.push([`CPU guard: ${n} sessions ${scheme}${tag}${name.startsWith('ours-confirmed') ? ' (server confirms)' : ' (silent server)'}: CPU per session-second ≤ 1.05× ${beforeSha}'s`, f(g, 3), g <= 1.05]);
        }
        const raw = runs[`raw ${scheme}`];
        // The Web Streams floor against the same engine: ours-confirmed against raw-transform-confirmed
        // (a TransformStream's two sides, the transcripts read as ours' are), else raw-writable-confirmed;
        // ours (silent engine, nothing confirmed) against raw-writable-retaining (which keeps the same
        // 30 s of sent audio for a replay), else raw-writable.
        const confirmed = name.startsWith('ours-confirmed');
        const floors = confirmed ? ['raw-transform-confirmed', 'raw-writable-confirmed'] : name.startsWith('ours') ? ['raw-writable-retaining'] : [];
        const floorName = [...floors, 'raw-writable'].map((k) => `${k} ${scheme}`).find((k) => runs[k]) ?? `raw-writable ${scheme}`;
        const floor = runs[floorName];
        const idx = [...Array(Math.min(v.all.length, nul.all.length)).keys()];
        const cpuPer = median(idx.map(per(v)));
        const ratio = raw ? median(idx.map((i) => per(v)(i) / per(raw)(i))) : NaN;
        const vsFloor = floor ? median(idx.map((i) => per(v)(i) / per(floor)(i))) : NaN;
        const mc = median(v.all.map((x) => x.gc?.major).filter((x) => x !== undefined));
        rows.push([name, f(cpuPer, 3), f(ratio, 2), f(vsFloor, 2), floor ? floorName.split(' ')[0] : '', Number.isFinite(mc) ? String(mc) : '', f(v.p50LatenessMs, 2), f(v.p99LatenessMs, 2), f(v.maxLatenessMs, 1), MiB(v.peakRss), MiB(v.newSpaceBytes), ...(hasBefore ? [guard] : [])]);
        if (name.startsWith('ours')) {
          const what = `${n} sessions ${scheme}${tag}${confirmed ? ' (server confirms)' : ''}`;
          if (floor) targets.push([`${what}: CPU per session-second ≤ 1.05× ${floorName.split(' ')[0]}`, f(vsFloor, 2), vsFloor <= 1.05]);
          // Issue 14 as filed: the silent engine against raw-writable too, beside its like-for-like floor.
          const writable = runs[`raw-writable ${scheme}`];
          if (!confirmed && writable && floorName !== `raw-writable ${scheme}`) {
            const vsWritable = median(idx.map((i) => per(v)(i) / per(writable)(i)));
            targets.push([`${what}: CPU per session-second ≤ 1.05× raw-writable (as filed)`, f(vsWritable, 2), vsWritable <= 1.05]);
          }
          const rawConfirmed = runs[`raw-writable-confirmed ${scheme}`];
          if (confirmed && rawConfirmed) {
            // Issue 14: peak RSS per confirmed session ≤ raw's + 150 KiB.
            const perSession = (v.peakRss - rawConfirmed.peakRss) / Number(n);
            targets.push([`${what}: peak RSS per session ≤ raw-writable-confirmed's + 150 KiB`, `+${f(perSession / 1024, 0)} KiB`, perSession <= 150 * 1024]);
          }
        }
        if (name.startsWith('deepgram') || name.startsWith('assemblyai')) {
          for (const subject of ['ours', 'ours-confirmed']) {
            const ours = runs[`${subject} ${scheme}`];
            if (!ours) continue;
            const ro = median(idx.map((i) => per(ours)(i) / per(v)(i)));
            targets.push([`${n} sessions ${scheme}${tag}: ${subject} below ${name.split(' ')[0]} (ours/peer CPU)`, f(ro, 2), ro < 1]);
          }
        }
      }
      out.push(`\n**${n} sessions${tag}**\n`);
      out.push(table(['subject', 'CPU ms per session-second', 'vs raw (same scheme)', 'vs its floor', 'floor', 'MC', 'p50 lateness (ms)', 'p99 lateness (ms)', 'max (ms)', 'peak RSS', 'new space', ...(hasBefore ? [`vs ${beforeSha} (per round)`] : [])], rows));
      const loads = Object.values(runs).flatMap((x) => x.all.map((r) => r.loadavg)).filter((x) => x !== undefined);
      if (loads.length) out.push(`\nLoad average (1 min, this run's processes included) at the end of each subject's run: ${f(Math.min(...loads), 2)} to ${f(Math.max(...loads), 2)}, median ${f(median(loads), 2)}.`);
    }
  }

  const st = res.stall;
  if (st) {
    out.push(`\n## 4. Stall: real-time input, the server stops reading for ${res.settings.stallMs / 1000} s after 2 s\n`);
    out.push('Emulator fault plan from the URL (`fault=`), `{"key":…,"times":1,"stall":{"forMs":…,"afterMs":2000}}` (`times: 1` so that a reconnect is not stalled again). Default transcriber options (30 s replay window = 960,000 bytes at 16 kHz mono, `stallTimeoutMs` 15 s). Sampled every 500 ms.\n');
    const rows = [];
    for (const [scheme, v] of Object.entries(st)) {
      rows.push([scheme, KiB(v.maxRetainedBytes), KiB(v.windowBytes), KiB(v.maxSocketBufferedBytes), MiB(v.rssGrowth), MiB(v.heapAndBuffersGrowth), v.events.map((e) => `${e.name}@${(e.t / 1000).toFixed(1)}s${e.detail !== undefined ? `(${e.detail})` : ''}`).join(', ')]);
      targets.push([`stall ${scheme}: buffered audio ≤ replay window`, KiB(v.maxRetainedBytes), v.maxRetainedBytes <= v.windowBytes]);
      targets.push([`stall ${scheme}: RSS growth ≤ window + 2 MiB`, MiB(v.rssGrowth), v.rssGrowth <= v.windowBytes + 2 * 1048576]);
    }
    out.push(table(['scheme', 'max retainedBytes', 'window', 'max socketBufferedBytes', 'RSS growth', 'heap+external growth', 'events'], rows));
    const v = st.ws;
    if (v) {
      out.push('\nOver time (ws, every 2 s):\n');
      out.push(table(['t (s)', 'state', 'connections', 'retainedBytes', 'socketBufferedBytes', 'RSS'], v.samples.filter((_, i) => i % 4 === 3).map((s) => [f(s.t / 1000, 1), s.state, s.connections, int(s.retainedBytes), int(s.socketBufferedBytes), MiB(s.rss)])));
    }
  }

  const tel = res.telephony;
  if (tel) {
    const { calls, seconds, subjects: t } = tel;
    out.push(`\n## 7. Telephony: ${calls} concurrent calls, 20 ms packets of 8 kHz µ-law for ${seconds} s each\n`);
    out.push('What a media-stream server does per call: each 160-byte µ-law packet (as Twilio Media Streams deliver them, base64 already decoded) goes through `g711Decoder({ law: \'mulaw\' })` into `createTranscriber({ sampleRate: 8000 })` (`ours`: default options, 100 ms messages; `ours-20ms`: `frameMs: 20`, one message per packet); `ours-direct` and `ours-direct-20ms` are the same two with each packet decoded by `decodeMulaw` where it arrives and written straight into the transcriber\'s writer (no stream stage and no pipe between them, as a server that gets its packets pushed to it can). `raw`: raw `ws`, each packet decoded to PCM16 by a 256-entry table and sent at once (320 bytes). All against the emulator whose engine confirms every second, in another process; one process per subject, calls spread over the 20 ms period. Client CPU is user+system over the paced window minus `null` (the same timers and packets, no sockets), per call-second; ratios paired by round.\n');
    if (tel.warmupSeconds) out.push(`Each process sends ${tel.warmupSeconds} s of paced packets before its window (JIT and heap settle, as in row 3).\n`);
    if (tel.before) out.push(`**The CPU guard**: each of ours' subjects also runs as built from the packages at commit ${tel.before} (\`--before\`), right after today's in every round; **vs ${tel.before}** is today's CPU per call-second over that build's, harness subtracted, paired by round (median, then each round). The owner's guard: within 1.05.\n`);
    const nul = t.null;
    const per = (v) => (i) => ((v.all[i].cpuSeconds - nul.all[i].cpuSeconds) * 1e3) / (calls * seconds);
    const rows = [];
    const hasBefore = Object.keys(t).some((k) => k.includes('@before'));
    for (const [name, v] of Object.entries(t)) {
      if (name === 'null') {
        rows.push(['null (harness)', `${f((v.cpuSeconds * 1e3) / (calls * seconds), 3)} (not subtracted)`, '', '', MiB(v.peakRss), ...(hasBefore ? [''] : [])]);
        continue;
      }
      const idx = [...Array(Math.min(v.all.length, nul.all.length, t.raw.all.length)).keys()];
      const ratio = median(idx.map((i) => per(v)(i) / per(t.raw)(i)));
      let guard = name.includes('@before') ? '1' : '';
      const before = t[`${name}@before`];
      if (before) {
        const ratios = [...Array(Math.min(v.all.length, before.all.length, nul.all.length)).keys()].map((i) => per(v)(i) / per(before)(i));
        const g = median(ratios);
        guard = `**${f(g, 3)}**${ratios.length > 1 ? ` (${ratios.map((x) => f(x, 2)).join(', ')})` : ''}`;
        targets.push([`CPU guard: ${calls} calls of 20 ms µ-law, ${name}: CPU per call-second ≤ 1.05× ${tel.before}'s`, f(g, 3), g <= 1.05]);
      }
      rows.push([name.replace('@before', ` @${tel.before}`), f(median(idx.map(per(v))), 3), f(ratio, 2), int(v.messagesOnWire / (calls * seconds)), MiB(v.peakRss), ...(hasBefore ? [guard] : [])]);
      if (name === 'ours') targets.push([`${calls} calls of 20 ms µ-law: g711Decoder + transcriber CPU per call-second ≤ 1.1× raw ws`, f(ratio, 2), ratio <= 1.1]);
      if (name === 'ours-direct') targets.push([`${calls} calls of 20 ms µ-law: decodeMulaw + transcriber CPU per call-second ≤ 1.1× raw ws`, f(ratio, 2), ratio <= 1.1]);
    }
    out.push(table(['subject', 'CPU ms per call-second', 'vs raw', 'messages per call-second', 'peak RSS', ...(hasBefore ? [`vs ${tel.before} (per round)`] : [])], rows));
    const loads = Object.values(t).flatMap((x) => x.all.map((r) => r.loadavg)).filter((x) => x !== undefined);
    if (loads.length) out.push(`\nLoad average (1 min, this run's processes included) at the end of each subject's run: ${f(Math.min(...loads), 2)} to ${f(Math.max(...loads), 2)}, median ${f(median(loads), 2)}.`);
  }

  if (res.calls) writeCalls(res.calls, out, targets);

  const lat = res.latency;
  if (lat) {
    out.push(`\n## 8. Latency of finals: the SDK's figure against two measured outside it (${lat.sessions} sessions, ${lat.seconds} s)\n`);
    out.push("Ours (`createTranscriber`, 100 ms frames at real-time pace) against the emulator whose engine confirms every second, started with `serverTime` so every transcript carries `server_time` (its `Date.now()` as it sent it), in another process on the same machine. For each final: **SDK** is `latencyMs` from the `metrics` event (the last send of the final's last sample to the final's arrival); **wire** is the same span taken on `ws` itself (its `send` and `message` event, patched in the bench, unknown to the SDK); **return leg** is arrival minus `server_time`, the server's timestamps: the way back alone, so the SDK's figure minus it is the way up plus the server's work. All in whole ms (`Date.now()`), each final paired with its own figures.\n");
    const row = (name, v) => [name, int(v.p50), int(v.p95), int(v.max)];
    out.push(table(['measure (ms)', 'p50', 'p95', 'max'], [row('SDK `latencyMs`', lat.sdk), row('wire (`ws` send → `ws` message)', lat.wire), row('return leg (arrival − `server_time`)', lat.returnLeg), row('per final: \\|SDK − wire\\|', lat.sdkVsWire)]));
    out.push(`\n${int(lat.finals)} finals paired (${int(lat.unpaired)} not), ${int(lat.stampedFinals)} of them stamped by the server; SDK within 1 ms of the wire for ${f(lat.sdkVsWire.within1ms * 100, 1)} % of finals; SDK below the return leg (impossible beyond 1 ms of clock rounding) for ${int(lat.sdkBelowReturnLeg)}. The sessions' own \`stats.latency\`: ${int(lat.statsLatency.count)} finals counted, median p50 ${int(lat.statsLatency.medianP50)} ms, max ${int(lat.statsLatency.max)} ms.`);
    targets.push([`latency: SDK latencyMs within 1 ms of the wire for ≥ 99 % of finals (${lat.sessions} sessions)`, `${f(lat.sdkVsWire.within1ms * 100, 1)} %`, lat.sdkVsWire.within1ms >= 0.99 && lat.unpaired === 0]);
    targets.push(['latency: SDK latencyMs never below the return leg by server timestamps (beyond 1 ms)', int(lat.sdkBelowReturnLeg), lat.sdkBelowReturnLeg === 0]);
  }

  if (res.speechEnd) writeSpeechEnd(res.speechEnd, out, targets);

  if (res.vad) writeVad(res.vad, out, targets);

  const w = res.weight;
  if (w) {
    out.push('\n## 6. Weight\n');
    out.push('esbuild, platform browser, ESM, minified, all dependencies bundled, gzip -9; what a live-captions page imports from each.\n');
    out.push(table(['entry', 'min', 'min+gzip', 'largest parts (minified bytes)'], Object.entries(w.bundles).map(([k, v]) => [k, v.error ? 'error' : KiB(v.minified), v.error ? v.error : `**${KiB(v.gzipped)}**`, v.byPackage ? Object.entries(v.byPackage).filter(([n]) => !n.endsWith('.ts')).sort((a, b2) => b2[1] - a[1]).slice(0, 4).map(([n, x]) => `${n} ${int(x)}`).join(', ') : ''])));
    const ours = w.bundles['stt-stream (microphone + createTranscriber)'];
    // Issue 14's target (issue 8 had 6 KB).
    if (ours?.gzipped) targets.push(['browser entry (microphone + transcriber) ≤ 10 KiB min+gzip', KiB(ours.gzipped), ours.gzipped <= 10 * 1024]);
    out.push('\nInstall size: production dependency closure; our packages as `npm pack` would ship them, others as installed.\n');
    out.push(table(['package', 'install size', 'files', 'dependencies', 'closure'], Object.entries(w.installs).map(([k, v]) => [k, MiB(v.bytes), int(v.files), v.dependencies, v.packages.slice(1).join(', ')])));
  }

  if (targets.length) {
    out.splice(8, 0, '## Targets\n', table(['target', 'measured', ''], targets.map(([t, v, c]) => [t, v, ok(c)])), '');
  }
  // The written analysis (what is slow in our code and why), kept by hand beside this file.
  const analysis = new URL('../ANALYSIS.md', import.meta.url);
  if (existsSync(analysis)) out.push('', readFileSync(analysis, 'utf8').trim());
  writeFileSync(file, `${out.join('\n')}\n`);
}

/** Row 9: voice activity detection (bench/vad-quality.mjs). */
function writeVad(v, out, targets) {
  const s = v.settings;
  const g = s.gate;
  const cell = (x) => (x ? `${f(x.recall, 3)} / ${f(x.precision, 2)} / ${f(x.sent, 2)}` : '–');
  const rp = (x) => (x ? `${f(x.recall, 3)} / ${f(x.precision, 2)}` : '–');
  const snrName = (snr) => (snr === 'Infinity' || snr === Infinity ? 'clean' : `${snr} dB`);
  // Keys that look like integers come out of an object in ascending order: use the run's own order.
  const rates = s.rates.map(String).filter((r) => r in v.quality);
  const first = rates[0];
  out.push('\n## 9. Voice activity detection: quality against known speech, and CPU per second of audio\n');
  out.push(
    `Material built at bench time (bench/lib/vad-material.mjs): ${s.utterances.length} utterances from \`espeak-ng\` (${[...new Set(s.utterances.map((u) => u.voice))].join(', ')}; ${Math.min(...s.utterances.map((u) => u.wpm))} to ${Math.max(...s.utterances.map((u) => u.wpm))} words a minute; levels from ${Math.min(...s.utterances.map((u) => u.gainDb))} to +${Math.max(...s.utterances.map((u) => u.gainDb))} dB of each other), resampled by \`sox\`, with silences of ${s.utterances.map((u) => u.silenceBefore).join(', ')} s before them and ${s.tailSilence} s after: ${f(s.totalSeconds[first], 1)} s, ${f(s.speechSeconds[first], 1)} s of it speech. ` +
      `**Known speech**: the 10 ms frames where espeak-ng's clean output is within ${s.truthRangeDb} dB of its loudest frame, gaps under ${s.truthBridgeMs} ms filled (a stop, a comma); its silences are digital zero, so the tolerance only decides the faintest frames. ` +
      `Mixed at ${s.speechLevelDb} dBFS speech level with \`sox\` white, pink and brown noise at 20, 10 and 5 dB SNR (speech power over its known frames against the noise's), and with two noises that are not steady at 10 dB: typing (8 ms clicks of sox noise, 80 to 300 ms apart) and music (a plucked melody from sox). ` +
      `**DTMF**: the emulator's fixture examples/audio/dtmf-demo.wav, known speech from its .json (the tone engine's utterances). ` +
      `Every detector goes through the same \`SpeechGate\` defaults (threshold ${g.threshold}, endThreshold ${g.endThreshold}, pre-roll ${g.preRollMs} ms, hangover ${g.hangoverMs} ms, minSpeech ${g.minSpeechMs} ms): **recall** is the share of speech frames the gate sends (what the issue means by no speech lost), **precision** the share of sent frames that are speech, **sent** the share of all audio sent; **clipped**: known segments not sent whole. ` +
      'Detectors: `energy` is core\'s `createEnergyVad()` (20 ms chunks); `webrtc-0…3` WebRTC\'s VAD in WebAssembly (`@echogarden/fvad-wasm`, modes 0 to 3, 30 ms); `silero-v5`/`-v6` the Silero models `@ricky0123/vad-web` ships (v6 is the file `@livekit/agents-plugin-silero` ships too), run by `onnxruntime-node` (32 ms windows).\n',
  );
  for (const rate of rates) {
    const q = v.quality[rate];
    out.push(`\n**Speech in white, pink and brown noise (pooled), ${rate / 1000} kHz**: recall / precision / sent; raw: the detector alone (its chunks ≥ ${g.threshold}), no gate\n`);
    const snrs = ['Infinity', '20', '10', '5'].filter((k) => k in Object.values(q)[0].pooled);
    const rows = Object.entries(q).map(([name, d]) => [name, ...snrs.map((snr) => cell(d.pooled[snr].gated)), String(snrs.reduce((a, snr) => a + d.pooled[snr].gated.clipped, 0)), rp(d.pooled[10]?.raw)]);
    out.push(table(['detector', ...snrs.map(snrName), 'clipped (all SNRs)', 'raw at 10 dB: recall / precision'], rows));
    const e = q.energy?.pooled[10]?.gated;
    if (e) targets.push([`VAD: default detector recall ≥ 0.98 at 10 dB SNR (${rate / 1000} kHz; precision ${f(e.precision, 2)}, ${f(e.sent * 100, 0)} % sent)`, f(e.recall, 3), e.recall >= 0.98]);
  }
  const q = v.quality[first];
  const kinds = Object.keys(Object.values(q)[0].speech).filter((k) => !k.startsWith('clean') && !k.endsWith(' 20'));
  out.push(`\n**Each noise, ${first / 1000} kHz**: recall / precision\n`);
  out.push(table(['detector', ...kinds.map((k) => k.replace(' ', ', ').replace(/(\d+)$/, '$1 dB'))], Object.entries(q).map(([name, d]) => [name, ...kinds.map((k) => rp(d.speech[k]?.gated))])));
  const edges = Object.keys(Object.values(q)[0].edge);
  const dtmf = Object.keys(Object.values(q)[0].dtmf);
  out.push(`\n**Edge cases and DTMF, ${first / 1000} kHz**: recall / precision / sent (edge cases: pink noise; DTMF: ${f(s.dtmfSpeechSeconds[first], 1)} s of tones in ${f(s.dtmfSeconds[first], 1)} s)\n`);
  out.push(table(['detector', ...edges, ...dtmf.map((k) => `DTMF, ${k.startsWith('clean') ? 'clean' : k.replace(' ', ' noise ') + ' dB'}`)], Object.entries(q).map(([name, d]) => [name, ...edges.map((k) => cell(d.edge[k]?.gated)), ...dtmf.map((k) => cell(d.dtmf[k]?.gated))])));
  for (const rate of rates) {
    const grid = v.quality[rate].energy?.gateGrid;
    if (!grid) continue;
    const pres = [...new Set(Object.keys(grid).map((k) => k.split('/')[0]))];
    const hangs = [...new Set(Object.keys(grid).map((k) => k.split('/')[1]))];
    out.push(`\n**The gate's pre-roll and hangover, default detector, ${rate / 1000} kHz** (pooled noises): recall / precision (clipped segments), at 10 dB · 5 dB\n`);
    const c = (x) => `${f(x.recall, 3)} / ${f(x.precision, 2)} (${x.clipped})`;
    out.push(table(['pre-roll \\ hangover', ...hangs.map((h) => `${h} ms`)], pres.map((p) => [`${p} ms`, ...hangs.map((h) => `${c(grid[`${p}/${h}`][10])} · ${c(grid[`${p}/${h}`][5])}`)])));
  }
  out.push('\n**CPU**: µs of CPU (user + system, all threads) per second of audio, median of interleaved rounds; × copy: against copying the same samples (100 ms frames, `TypedArray.set`) in the same round. The white-noise 10 dB mix; each detector in its own chunks; `energy + gate` is what a session runs: `VoiceActivity` fed 100 ms frames. Silero takes 8 and 16 kHz only.\n');
  const cpuRates = (s.cpuRates ?? Object.keys(v.cpu)).map(String).filter((r) => r in v.cpu);
  const names = [...new Set(cpuRates.flatMap((r) => Object.keys(v.cpu[r])))];
  out.push(table(['subject', ...cpuRates.flatMap((r) => [`${r / 1000} kHz: µs per s`, '× copy'])], names.map((n) => [n, ...cpuRates.flatMap((r) => (v.cpu[r][n] ? [f(v.cpu[r][n].usPerSecond, n === 'copy' ? 2 : 1), n === 'copy' ? '1' : int(v.cpu[r][n].vsCopy)] : ['–', '–']))])));
}

/** Row 7, two-party calls (bench/call-client.mjs). */
function writeCalls(c, out, targets) {
  const m = c.material;
  const pct = (x) => `${f(x * 100, 0)} %`;
  const t = c.subjects;
  const callSeconds = c.warmupSeconds + c.seconds;
  out.push(`\n## 7b. Two-party calls: one stereo session or one mono session per party, with and without voice activity (${c.calls} calls, ${callSeconds} s each)\n`);
  out.push(
    `Each call delivers one 20 ms µ-law packet per party every 20 ms, as a media-stream server receives a call's two tracks. **The audio** (bench/lib/call-material.mjs, built at bench time): a ${f(m.seconds, 0)} s support call between two \`espeak-ng\` voices (${m.voices.A.voice} and ${m.voices.B.voice}), ${m.turns} turns that alternate, one or two sentences each with 0.3–0.7 s between them, ${m.overlappingTurns} turns starting 0.2–0.6 s before the other party has finished and the others 0.15–0.8 s after, and a short acknowledgement from the listener inside each turn longer than 4 s; pink noise ${m.snrDb} dB below each party's speech, then G.711 µ-law. From known speech (10 ms frames, as row 9): caller talks ${pct(m.stats.talkA)} of the time, agent ${pct(m.stats.talkB)}, both ${pct(m.stats.both)}, neither ${pct(m.stats.neither)}${m.stats.paddedA !== undefined ? `; a gate that knew every speech frame, with the default 200 ms pre-roll and 400 ms hangover, would send ${pct(m.stats.paddedA)} of the caller's track and ${pct(m.stats.paddedB)} of the agent's` : ''}. Call *i* starts 3.1 *i* s into the conversation and loops round. ` +
      `**Subjects**: \`ours-stereo\`: both packets decoded (\`decodeMulaw\`), interleaved and written into one \`createTranscriber({ sampleRate: 8000, channels: 2 })\`; \`ours-mono\`: one transcriber per party; \`-vad\`: the same with \`voiceActivity: true\` (only speech sent; in stereo, silence is skipped only where both parties are silent); \`deepgram\`: Deepgram's SDK sending the whole call as stereo µ-law (the two tracks interleaved byte by byte; \`encoding: mulaw, channels: 2, multichannel\`), as Deepgram's media-stream example does: 8 bits a sample, where our gateway takes PCM16 only. Ours against the confirming engine, Deepgram against the bench's Deepgram dialect, each process ${c.warmupSeconds} s of packets before a ${c.seconds} s window. ` +
      `**Audio sent**: bytes of audio messages handed to the kernel for the whole call (\`ws\`'s send callback, the same hook for every subject), per call-minute, and as a share of the call as PCM16 (both parties, ${f((8000 * 2 * 2 * 60) / 1024, 0)} KiB a minute: what ours sends without a detector). **CPU**: this process's user+system time over the window minus \`null\`'s, per call-second. Ratios paired by round.\n`,
  );
  const nul = t.null;
  const per = (v) => (i) => ((v.all[i].cpuSeconds - nul.all[i].cpuSeconds) * 1e3) / (c.calls * v.all[i].seconds);
  const idxOf = (...vs) => [...Array(Math.min(...vs.map((v) => v.all.length))).keys()];
  const share = (v) => median(v.all.map((x) => x.audioBytesPerCall / x.pcmBytesPerCall));
  const perMinute = (v) => median(v.all.map((x) => (x.audioBytesPerCall / x.callSeconds) * 60));
  const rows = [];
  for (const [name, v] of Object.entries(t)) {
    if (name === 'null') {
      rows.push(['null (harness)', '', `${f((v.cpuSeconds * 1e3) / (c.calls * c.seconds), 3)} (not subtracted)`, '', '', '', '', '', '', MiB(v.peakRss)]);
      continue;
    }
    const idx = idxOf(v, nul);
    const cpu = median(idx.map(per(v)));
    const without = name.endsWith('-vad') ? t[name.replace(/-vad$/, '')] : null;
    const vsWithout = without ? median(idxOf(v, without, nul).map((i) => per(v)(i) / per(without)(i))) : NaN;
    const dg = t.deepgram;
    const vsDeepgram = dg && name !== 'deepgram' ? median(idxOf(v, dg, nul).map((i) => per(v)(i) / per(dg)(i))) : NaN;
    const sessions = name.startsWith('ours-mono') ? 2 : 1;
    rows.push([
      name,
      String(sessions),
      f(cpu, 3),
      without ? f(vsWithout, 2) : '',
      Number.isFinite(vsDeepgram) ? f(vsDeepgram, 2) : '',
      `${f(perMinute(v) / 1024, 0)} KiB`,
      pct(share(v)),
      dg && name !== 'deepgram' ? f(median(v.all.map((x) => x.audioBytesPerCall)) / median(dg.all.map((x) => x.audioBytesPerCall)), 2) : '',
      f(median(v.all.map((x) => x.messagesInWindow / (c.calls * x.seconds))), 1),
      MiB(v.peakRss),
    ]);
    if (without) {
      const layout = name.startsWith('ours-mono') ? 'one mono session per party' : 'one stereo session';
      targets.push([`two-party calls, ${layout}, voiceActivity: audio bytes sent ≤ 55 % of the call's`, pct(share(v)), share(v) <= 0.55]);
      targets.push([`two-party calls, ${layout}: CPU per call with voiceActivity ≤ without`, f(vsWithout, 2), vsWithout <= 1]);
    }
  }
  out.push(table(['subject', 'sessions per call', 'CPU ms per call-second', 'vs without voiceActivity', 'vs deepgram', 'audio sent per call-minute', 'share of the call (PCM16)', 'bytes vs deepgram', 'messages per call-second', 'peak RSS'], rows));
  const loads = Object.values(t).flatMap((x) => x.all.map((r) => r.loadavg)).filter((x) => x !== undefined);
  if (loads.length) out.push(`\nLoad average (1 min, this run's processes included) at the end of each subject's run: ${f(Math.min(...loads), 2)} to ${f(Math.max(...loads), 2)}, median ${f(median(loads), 2)}. Per round (CPU ms per call-second, harness subtracted): ${Object.entries(t).filter(([k]) => k !== 'null').map(([k, v]) => `${k} ${idxOf(v, nul).map((i) => f(per(v)(i), 3)).join(', ')}`).join('; ')}.`);
}

/** Row 8, end of speech (bench/speech-end-client.mjs). */
function writeSpeechEnd(se, out, targets) {
  out.push(`\n## 8b. End of speech to final: with and without voice activity and \`finalizeOnSpeechEnd\` (${se.sessions} sessions per configuration, the gateway's answer delayed ${se.delayMs} ms)\n`);
  out.push(
    `Each session streams a DTMF fixture of the emulator (\`dtmfSamples\`: 8 utterances of 2 to 4 keys, 100 ms tones 100 ms apart, 2 s between utterances, white noise 20 dB below the tones; each session's lead silence differs, so utterances end anywhere within a frame) at real-time pace, against the tone engine (**tone**: it finalises an utterance 300 ms after its last word) or the same engine with ${se.endpointSeconds} s endpointing (**slow**: a gateway that waits ${se.endpointSeconds} s of silence; bench/lib/server.mjs), every session with the emulator's slow-answer fault (\`delayMs: ${se.delayMs}\`: each server message held ${se.delayMs} ms). ` +
      `**all**: no detector, every sample sent; **vad**: \`voiceActivity: true\` (only speech sent, hangover 400 ms); **vad-finalize**: \`voiceActivity: { finalizeOnSpeechEnd: true }\`. Ours' wire frames as long as the source's. ` +
      '**End of speech** is the end of an utterance\'s last tone (from the fixture); its latency is the arrival of the first final that covers that tone (read from the transcriber\'s readable side) minus the moment that sample existed (a frame is written when its last sample exists, so up to one frame of waiting is in the figure, as it is for any live source). **speech_ended**: when the client\'s own `speech_ended` for it arrived, on the same clock. **Answer time**: on `ws` itself, each `finalize` sent to the next final on that socket (the gateway\'s answer time: the fault\'s delay plus the engine and loopback). Medians of the rounds\' percentiles.\n',
  );
  const byKey = Object.entries(se.runs);
  const med = (list, pick) => median(list.map(pick).filter((x) => x !== null && x !== undefined && Number.isFinite(x)));
  const rows = [];
  const answerAll = median(byKey.flatMap(([, list]) => list.map((x) => x.answer.p50)).filter((x) => Number.isFinite(x)));
  for (const [key, list] of byKey) {
    const [mode, engine, ms] = key.split(' ');
    const p50 = med(list, (x) => x.latency.p50);
    rows.push([engine, `${ms} ms`, mode, int(p50), int(med(list, (x) => x.latency.p95)), int(med(list, (x) => x.latency.max)), mode === 'all' ? '' : int(med(list, (x) => x.speechEnded.p50)), mode === 'vad-finalize' ? int(med(list, (x) => x.answer.p50)) : '', `${int(list.reduce((a, x) => a + x.latency.n, 0))} (${int(list.reduce((a, x) => a + x.missing, 0))} missing)`, mode === 'all' ? '' : `${f(med(list, (x) => x.sentShare) * 100, 0)} %`]);
    if (mode === 'vad-finalize') {
      const answer = med(list, (x) => x.answer.p50);
      targets.push([`end of speech → final, finalizeOnSpeechEnd, ${engine === 'tone' ? 'tone engine (300 ms endpointing)' : `${se.endpointSeconds} s endpointing`}, ${ms} ms frames: p50 ≤ hangover (400 ms) + answer time (${int(answer)} ms)`, `${int(p50)} ms`, p50 <= 400 + answer]);
    }
  }
  out.push(table(['gateway', 'source frames', 'client', 'p50 (ms)', 'p95 (ms)', 'max (ms)', 'speech_ended p50 (ms)', 'answer time p50 (ms)', 'utterances', 'audio sent'], rows));
  const loads = byKey.flatMap(([, list]) => list.map((x) => x.loadavg)).filter((x) => x !== undefined);
  out.push(`\nAnswer time over all finalize-led finals: p50 ${int(answerAll)} ms.${loads.length ? ` Load average (1 min, this run's processes included) at the end of each configuration's run: ${f(Math.min(...loads), 2)} to ${f(Math.max(...loads), 2)}, median ${f(median(loads), 2)}.` : ''}`);
}
