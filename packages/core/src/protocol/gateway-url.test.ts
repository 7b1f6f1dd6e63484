import { describe, expect, it } from 'vitest';
import { batchUrl, streamUrl } from './gateway-url.ts';

// The mapping alone; the same against a real emulator is in test/gateway-url.test.ts.

describe('gateway-url', () => {
  it('streamUrl - an http(s) origin or prefix names the gateway; a bare ws(s) origin gets the stream path; a ws(s) endpoint is kept', () => {
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/v1/stt/stream'],
      ['https://gw.example/', 'wss://gw.example/v1/stt/stream'],
      ['https://gw.example/prefix/', 'wss://gw.example/prefix/v1/stt/stream'],
      ['https://gw.example/v1/stt/stream', 'wss://gw.example/v1/stt/stream'],
      ['http://gw.example/v1/stt/transcribe', 'ws://gw.example/v1/stt/stream'],
      ['ws://127.0.0.1:9', 'ws://127.0.0.1:9/v1/stt/stream'],
      ['wss://gw.example/?region=eu', 'wss://gw.example/v1/stt/stream?region=eu'],
      ['wss://proxy.example/custom/stt?fault=x#frag', 'wss://proxy.example/custom/stt?fault=x'],
    ];
    for (const [input, expected] of cases) expect(streamUrl(input).href, input).toBe(expected);
  });

  it('batchUrl - an http(s) prefix or the ws(s) streaming URL maps to the batch endpoint, query dropped', () => {
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1/stt/transcribe'],
      ['https://gw.example/prefix/', 'https://gw.example/prefix/v1/stt/transcribe'],
      ['ws://127.0.0.1:8080/v1/stt/stream?model_id=m', 'http://127.0.0.1:8080/v1/stt/transcribe'],
      ['wss://gw.example', 'https://gw.example/v1/stt/transcribe'],
      ['https://gw.example/v1/stt/transcribe/', 'https://gw.example/v1/stt/transcribe'],
    ];
    for (const [input, expected] of cases) expect(batchUrl(input).href, input).toBe(expected);
  });

  it('streamUrl / batchUrl - bad schemes, non-URLs and credentials are TypeErrors naming the option, never echoing the value', () => {
    expect(() => streamUrl('ftp://x/')).toThrow('Invalid option `url`: expected a ws:, wss:, http: or https: URL, got ftp:');
    expect(() => batchUrl('ftp://x/')).toThrow('Invalid option `baseUrl`: expected an http: or https: URL (or the ws:/wss: streaming URL), got ftp:');
    expect(() => streamUrl('sk_live_pasted here', 'url')).toThrow('Invalid option `url`: not a URL (expected e.g. https://gateway.llm-stats.com)');
    expect(() => batchUrl('', 'baseUrl')).toThrow('Invalid option `baseUrl`: expected a URL string');
    expect(() => streamUrl('wss://g.example/s?api_key=sk_1')).toThrow('Invalid option `url`: credentials do not go in a URL (found `api_key`)');
    expect(() => batchUrl('https://u:sk_1@g.example/')).toThrow(TypeError);
    expect(() => batchUrl('wss://g.example/?token=sk_1', 'baseUrl')).toThrow(/`baseUrl`.*found `token`/);
    expect(() => streamUrl('http://g.example/?Api_Key=sk_1', 'streamUrl')).toThrow(/`streamUrl`.*found `api_key`/);
  });
});
