// The session core in given situations (session-world.test-support.ts): what a user sees, step by step.
import { describe, expect, it } from 'vitest';
import type { SttError } from '../errors.ts';
import { parseServerMessage } from '../protocol/gateway-dialect.ts';
import type { SessionNotices } from './commands.ts';
import { checkInvariants } from './session-run.test-support.ts';
import { PRE_ROLL, World, base, tickOf } from './session-world.test-support.ts';

describe('SessionCore, case by case', () => {
  it('SessionCore - a reconnect that is still connecting when the end bound comes fails with timeout then, not at its connect timeout', () => {
    // `end` went at 0 to a server that stopped answering; the stall at 3 s made a reconnect at 3.1 s that never
    // opened. The stream must fail at 4 s (`endTimeoutMs`), not at 5.1 s.
    const world = new World(base, () => 0);
    world.write(1);
    world.accept();
    world.conn!.reads = world.conn!.answersEnd = false;
    world.end();
    world.advance(4250);
    expect(world.opens.map((o) => o.at)).toEqual([0, 3100]);
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect(world.finishedAt).toBe(4000);
  });

  it('SessionCore - a clean stream: one connection, finals at stream times, done', () => {
    const world = new World(base, () => 0);
    world.write(500);
    world.accept();
    world.write(1500);
    world.serverFinal(800);
    world.write(300);
    world.end();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.core.done).toBe(true);
    expect(world.readerClosed).toBe(true);
    expect(world.opens).toHaveLength(1);
    expect(world.finals().map((f) => f.text)).toEqual(['0-800', '800-2300']);
  });

  it('SessionCore - a long confirmed stream holds a few blocks, and hands every one back to its pool when it ends', () => {
    const world = new World(base, () => 0);
    world.write(100);
    world.accept();
    for (let i = 1; i <= 300; i++) {
      world.write(100);
      if (i % 10 === 0) world.serverFinal(i * 100 - 200); // a final every second of audio, a little behind
      world.read(100);
    }
    world.end();
    world.advance(100);
    expect(world.error).toBeNull();
    expect(world.written).toBe(30100);
    // Unconfirmed audio is at most about 1,200 samples: with blocks of 400 (four writes), at most 5 blocks at once.
    expect(world.core.blockSamples).toBe(400);
    expect(world.maxHeld).toBeLessThanOrEqual(5 * 400);
    expect(world.core.heldBytes).toBe(0);
    expect(world.pool.spareBytes).toBeGreaterThan(0);
  });

  it('SessionCore - audio ahead of real time goes in catch-up messages; audio at real time a frame at a time', () => {
    const settings = { ...base, messageFrames: 2 };
    // A file: written faster than real time. The first two frames go alone (the source is not yet a message
    // ahead of real time); from then on each message waits for two whole frames, and `end` sends the rest.
    const file = new World(settings, () => 0);
    file.write(100);
    file.accept();
    for (let i = 0; i < 9; i++) file.write(100);
    file.write(50);
    file.end();
    file.advance(100);
    expect(file.error).toBeNull();
    expect(file.messages).toEqual([100, 100, 200, 200, 200, 200, 50]);
    // A live source: a frame every 100 ms of real time goes as it comes.
    const live = new World(settings, () => 0);
    live.write(100);
    live.accept();
    for (let i = 0; i < 5; i++) {
      live.advance(100);
      live.write(100);
    }
    expect(live.messages).toEqual([100, 100, 100, 100, 100, 100]);
    // A file source that stalls: its last frame goes once real time comes within a message of its end.
    const stalled = new World(settings, () => 0);
    stalled.write(100);
    stalled.accept();
    for (let i = 0; i < 10; i++) stalled.write(100); // 1.1 s of audio at time 0: 1 s goes, the last frame is held
    expect(stalled.messages).toEqual([100, 100, 200, 200, 200, 200]);
    stalled.advance(899); // the held frame ends 1.1 s into the connection's audio, a message is 200 ms: it goes at 900 ms
    expect(stalled.messages).toHaveLength(6);
    stalled.advance(1);
    expect(stalled.messages.slice(6)).toEqual([100]);
    // A replay after a drop goes in whole messages too, then new audio as it comes.
    stalled.serverFinal(400);
    stalled.serverClose(1006);
    stalled.advance(1500);
    stalled.accept();
    expect(stalled.messages.slice(7)).toEqual([200, 200, 200, 100]);
  });

  it('SessionCore - a drop replays from the commit point and the finals stay whole', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    world.serverFinal(400);
    world.serverClose(1006);
    world.advance(1500); // the backoff
    world.accept();
    world.end();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.finals().map((f) => f.text)).toEqual(['0-400', '400-1000']);
    const reconnecting = world.notices.find((n) => n.name === 'reconnecting')!.info as SessionNotices['reconnecting'];
    expect(reconnecting).toMatchObject({ attempt: 1, cause: { code: 'connection_lost', closeCode: 1006 } });
  });

  it('SessionCore - close 1000 before session.ended is a drop: backoff, replay, and the budget ends it, telling what the server did', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    for (let i = 0; i < 10 && !world.core.done; i++) {
      world.accept();
      world.serverClose(1000);
      world.advance(2000);
    }
    expect(world.core.done).toBe(true);
    expect(world.error).toMatchObject({ code: 'connection_failed' });
    expect((world.error as SttError).message).toBe(
      'Gave up reconnecting after 4 failed attempts (`reconnect.retries` is 3): 4 connections in a row were closed with 1000 (connection_lost) right after opening; last: connection_lost: Connection closed (1000) before the session ended',
    );
    expect(world.opens).toHaveLength(4); // the first and 3 retries
  });

  it('SessionCore - a final beyond the audio sent, an overlap, a bad channel and a second session.started are protocol errors that move nothing', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    const c = world.conn!;
    const send = (m: object) => world.input(() => world.core.message(c.id, parseServerMessage(JSON.stringify(m)), world.now, 0));
    send({ type: 'transcript', is_final: true, text: 'far', start: 0, end: 1e6 });
    send({ type: 'transcript', is_final: true, text: 'seven', start: 0, end: 0.1, channel: 7 });
    send({ type: 'session.started', session_id: 'again' });
    send({ type: 'transcript', is_final: true, text: 'ok', start: 0, end: 0.5 });
    send({ type: 'transcript', is_final: true, text: 'overlap', start: 0.3, end: 0.8 });
    world.read(100);
    const errors = world.notices.filter((n) => n.name === 'error').map((n) => (n.info as SttError).message);
    expect(errors).toEqual([
      'Server message rejected: a final ending at 1000000 s, beyond the 1.000 s of audio sent on this connection',
      'Server message rejected: a final on channel 7 of a 1-channel stream',
      'Server message rejected: a second `session.started` on one connection',
      'Server message rejected: a final starting at 0.3 s overlaps the previous final on channel 0 (it ended at 0.5 s)',
    ]);
    expect(world.finals().map((f) => f.text)).toEqual(['ok']);
    expect(world.core.stats.committedSamples).toBe(500);
    expect(world.notices.filter((n) => n.name === 'reconnected')).toEqual([]);
  });

  it('SessionCore - a server that sends interims but never confirms: the stream fails with timeout endTimeoutMs after `end`, naming the bound and what the server did', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    world.conn!.answersEnd = false;
    world.end();
    for (let t = 0; t < 60 && !world.core.done; t++) {
      world.serverInterim();
      world.advance(100);
    }
    // The interims keep the connection (it is not silent), not the stream (they confirm nothing).
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect((world.error as SttError).message).toMatch(
      /^No final confirmed new audio for 4000 ms after the end of the audio \(`endTimeoutMs`\): the server sent 4\d message\(s\) but no final for new audio \(the last 0\.\d s ago\)$/,
    );
    expect(world.finishedAt).toBeGreaterThanOrEqual(base.endTimeoutMs);
    expect(world.finishedAt).toBeLessThanOrEqual(base.endTimeoutMs + tickOf(base));
    expect(world.opens).toHaveLength(1);
  });

  it('SessionCore - a slow server that keeps confirming is never cut: the end bound counts from the last progress', () => {
    const world = new World({ ...base, windowSamples: 30_000 }, () => 0);
    world.write(20_000); // 20 s of audio at once
    world.accept();
    const c = world.conn!;
    c.answersEnd = false;
    world.end();
    // The server confirms a second of audio every 2.5 s (a gateway at 0.4× real time): 50 s in all, against a 4 s end bound.
    for (let i = 1; i <= 20 && !world.core.done; i++) {
      world.advance(2500);
      world.read(100);
      world.serverFinal(i * 1000);
    }
    world.serverEnd();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    expect(world.finals()).toHaveLength(20);
  });

  it('SessionCore - a slow link that drains is never a stall; one that carries nothing for stallTimeoutMs is', () => {
    // 10 s of audio through a link of 0.5 bytes/ms (a quarter of the audio's 2 bytes a sample): 40 s to carry it all.
    const world = new World({ ...base, highWaterMarkBytes: 1024 }, () => 0, 0.5);
    world.write(100);
    world.accept();
    for (let t = 0; t < 600 && world.written < 10_000; t++) {
      world.write(100);
      world.advance(100);
    }
    world.end();
    for (let t = 0; t < 800 && !world.core.done; t++) {
      world.advance(100);
      if (t % 20 === 0) world.serverFinal(Infinity);
      world.read(100);
    }
    expect(world.written).toBe(10_000);
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    expect(world.notices.filter((n) => n.name === 'reconnecting')).toEqual([]);
    // The same link, stopped: the server reads nothing; after stallTimeoutMs the connection is replaced.
    const stopped = new World({ ...base, highWaterMarkBytes: 1024 }, () => 0, 0.5);
    stopped.write(100);
    stopped.accept();
    stopped.conn!.reads = false;
    for (let i = 0; i < 20; i++) stopped.write(100);
    stopped.advance(base.stallTimeoutMs + tickOf(base));
    const cause = (stopped.notices.find((n) => n.name === 'reconnecting')?.info as SessionNotices['reconnecting'] | undefined)?.cause;
    expect(cause?.message).toMatch(/^Connection dropped: the server read nothing for 3000 ms \(`stallTimeoutMs`\) while \d+ bytes waited to be sent$/);
  });

  it('SessionCore - drop-oldest on a slow link: the writer never waits; past the window the oldest unsent audio goes as one gap, and the times stay exact', () => {
    const world = new World({ ...base, overflow: 'drop-oldest', highWaterMarkBytes: 1024, windowSamples: 2000 }, () => 0, 0.2);
    world.write(100);
    world.accept();
    for (let i = 0; i < 59; i++) {
      world.write(100); // a live source: 100 ms of audio every 100 ms, over a link that carries a tenth of it
      expect(world.writing).toBe(false);
      world.advance(100);
    }
    world.serverFinal(Infinity);
    world.read(100);
    const gaps = world.events.filter((e) => e.type === 'gap');
    expect(gaps.length).toBeGreaterThan(0);
    expect(world.notices.find((n) => n.name === 'lag')?.info).toMatchObject({ behind: true });
    expect(world.core.stats.unsentSeconds).toBeGreaterThan(1);
    world.end();
    for (let t = 0; t < 400 && !world.core.done; t++) {
      world.advance(100);
      world.serverFinal(Infinity);
      world.read(100);
    }
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    checkInvariants(world);
  });

  it('SessionCore - only speech sent, live: a long silence is not audio waiting (no lag notice; unconfirmedSeconds counts what was kept)', () => {
    const settings = { ...base, overflow: 'drop-oldest' as const, speech: { sendOnlySpeech: true, finalizeOnSpeechEnd: false, tailSamples: PRE_ROLL + 20 } };
    // Speech at the start and again after 7.8 s of silence: more than the lag threshold (half the 5000-sample window).
    const world = new World(settings, () => 0, Infinity, 64, [[0, 200], [8000, 8200]]);
    world.write(100);
    world.accept();
    for (let i = 0; i < 89; i++) {
      world.write(100);
      world.serverFinal(Infinity);
      world.read(100);
      world.advance(100);
    }
    expect(world.core.stats.skippedSeconds).toBeGreaterThan(7);
    expect(world.notices.filter((n) => n.name === 'lag')).toEqual([]);
    expect(world.core.stats.unconfirmedSeconds).toBeLessThan(0.5);
    world.end();
    for (let t = 0; t < 100 && !world.core.done; t++) {
      world.advance(100);
      world.serverFinal(Infinity);
      world.read(100);
    }
    expect(world.error).toBeNull();
    checkInvariants(world);
  });

  it('SessionCore - a listener that aborts from inside an event ends the stream after the step, with its reason', () => {
    const world = new World(base, () => 0);
    world.listener = 'abort';
    world.write(500); // the `open` notice comes once the server says session.started
    world.accept();
    expect(world.error).toMatchObject({ code: 'aborted', message: 'Aborted by the signal', cause: { message: 'a listener gave up' } });
    expect(world.core.heldBytes).toBe(0);
  });

  it('SessionCore - latency: a final 120 ms after its audio was sent reports 120 ms', () => {
    const world = new World(base, () => 0);
    world.accept(); // nothing pending: no connection yet
    world.write(1000);
    world.accept();
    world.advance(120);
    world.serverFinal(1000);
    const metrics = world.notices.find((n) => n.name === 'metrics')!.info as { latencyMs: number };
    expect(metrics.latencyMs).toBe(120);
    expect(world.core.stats.latency).toMatchObject({ count: 1, p50: 120, max: 120 });
  });
});
