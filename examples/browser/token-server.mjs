// A tiny token endpoint for the example page: the browser POSTs here and gets
// a credential to open the stream with; your long-lived API key never reaches
// the page. Node only, no dependencies.
//
//   STT_TOKEN_ALLOWED_ORIGIN=http://127.0.0.1:5173 node token-server.mjs
//   → open http://127.0.0.1:5173/?url=wss://gateway.llm-stats.com/v1/stt/stream&tokenUrl=http://127.0.0.1:8788/stt-token
//
// mintToken() is the part to make yours: check who is asking (your session
// cookie, your auth), then issue a short-lived credential the way your gateway
// account allows (a scoped key with an expiry, made by your backend). For the
// emulator any token is accepted, so by default it hands out a development token.
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 8788);
const ALLOWED_ORIGIN = process.env.STT_TOKEN_ALLOWED_ORIGIN ?? 'http://127.0.0.1:5173';

/** Decide whether this request may transcribe, and with what credential. */
async function mintToken(req) {
  // e.g. const user = await sessionFromCookie(req.headers.cookie); if (!user) return undefined;
  void req;
  return { token: process.env.STT_BROWSER_TOKEN ?? 'test-token', expiresInSeconds: 300 };
}

createServer(async (req, res) => {
  const cors = { 'access-control-allow-origin': ALLOWED_ORIGIN, 'access-control-allow-credentials': 'true', vary: 'origin' };
  if (req.method === 'OPTIONS') return res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST' }).end();
  if (req.method !== 'POST' || req.url !== '/stt-token') return res.writeHead(404, cors).end();
  const minted = await mintToken(req);
  if (!minted) return res.writeHead(401, cors).end();
  res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(minted));
}).listen(PORT, '127.0.0.1', () => console.log(`token endpoint on http://127.0.0.1:${PORT}/stt-token`));
