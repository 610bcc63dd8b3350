/**
 * Slow clients cannot hold the server (issue 7, "request timeouts so a slowloris cannot hold every
 * socket"). The server runs with short limits (`headersTimeoutMs` 3 s, `bodyIdleTimeoutMs` 2.5 s,
 * `minBodyBytesPerSecond` 100) so the test takes seconds; the defaults are 20 s, 30 s and 512 B/s.
 *
 * - Sockets trickling their headers one byte per second are cut once `headersTimeoutMs` has passed,
 *   with `408 RequestTimeout` as OSS XML.
 * - Sockets trickling (or stalling) a signed upload body are cut with `400 RequestTimeout` as OSS
 *   XML once the body falls under the minimum rate after the grace, or stops for `bodyIdleTimeoutMs`.
 * - A body still trickling in after an early refusal (an unsigned PUT) is not drained forever.
 * - Meanwhile normal requests, and an ali-oss upload, are served without delay.
 * - An honest slow upload above the minimum rate completes; time the server itself spends not
 *   reading (a slow handler) is not held against the client.
 * - One client address holds at most `maxConnectionsPerClient` connections: requests on more get
 *   `503 ActiveRequestLimitExceeded`; `maxConnections` caps all connections at accept.
 */
import { readdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testBytes, type TestServer } from './harness.js';
import { addressOf, parseErrorXml, rawRequest } from './raw-request.js';
import { signV1Header } from './signers.js';

const headersTimeoutMs = 3000;
const bodyIdleTimeoutMs = 2500;
const minBodyBytesPerSecond = 100;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ headersTimeoutMs, bodyIdleTimeoutMs, minBodyBytesPerSecond, faults: true });
});
afterAll(async () => {
  await server?.dispose();
});

type Slow = { text: string; closedAfterMs: number; sent: number; firstByteAfterMs: number | undefined };

/**
 * A client that sends `head` at once, then `trickle` one byte every `intervalMs`, until the server
 * closes the connection (or `giveUpMs` passes: then the test fails).
 */
function slowClient(port: number, head: string, trickle: string, intervalMs = 1000, giveUpMs = 15_000): { done: Promise<Slow>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  const done = new Promise<Slow>((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let sent = 0;
    let firstByteAfterMs: number | undefined;
    const ticker = setInterval(() => {
      if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
    }, intervalMs);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held a slow socket for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => {
      firstByteAfterMs ??= Date.now() - started;
      chunks.push(chunk);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: Date.now() - started, sent, firstByteAfterMs });
    });
    if (head !== '') socket.write(head);
  });
  return { done, socket };
}

/** A signed PUT's request head (V1), announcing `length` body bytes. */
function signedPutHead(key: string, length: number, extra: Record<string, string> = {}): string {
  const path = `/demo/${key}`;
  const { bucket, key: decoded } = addressOf(path, undefined);
  const auth = signV1Header({ method: 'PUT', bucket, key: decoded, query: [], headers: extra, now: Date.now() }, { accessKeyId: server.accessKeyId, secret: server.accessKeySecret });
  const lines = Object.entries({ host: `localhost:${server.port}`, ...extra, ...auth, 'content-length': String(length) }).map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return `PUT ${path} HTTP/1.1\r\n${lines}\r\n`;
}

function parseAnswer(text: string): { status: number; headers: Record<string, string>; xml: Record<string, string> } {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, Math.max(0, end)).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0), headers, xml: parseErrorXml(text.slice(end + 4)).map };
}

describe('slowloris: many slow sockets at once', () => {
  it('trickled headers get 408, trickled and stalled bodies 400 RequestTimeout, all within the limits; normal requests are served meanwhile', async () => {
    const started = Date.now();
    const headerTrickle = `GET /demo/slow/h HTTP/1.1\r\nHost: localhost\r\nx-pad: ${'p'.repeat(100)}\r\n\r\n`;
    const headers = Array.from({ length: 40 }, (_, i) => slowClient(server.port, i % 2 ? '' : 'G', headerTrickle.slice(i % 2 ? 0 : 1)));
    const bodies = Array.from({ length: 30 }, (_, i) => slowClient(server.port, signedPutHead(`slow/body-${i}.bin`, 1000), 'x'.repeat(1000)));
    const stalled = Array.from({ length: 10 }, (_, i) => slowClient(server.port, `${signedPutHead(`slow/stalled-${i}.bin`, 1000)}${'y'.repeat(10)}`, ''));
    // After an immediate 403 (unsigned), the client keeps trickling its 1,000 promised bytes.
    const refused = Array.from({ length: 10 }, (_, i) => slowClient(server.port, `PUT /demo/slow/anon-${i}.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n`, 'z'.repeat(1000)));

    // While 90 slow sockets are open, normal traffic is served promptly.
    const latencies: number[] = [];
    for (let round = 0; round < 4; round++) {
      await new Promise((r) => setTimeout(r, 250));
      const t0 = Date.now();
      const put = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/slow/normal-${round}.txt`, body: `round ${round}`, sign: true });
      expect(put.status, put.text).toBe(200);
      const get = await rawRequest({ port: server.port, path: `/demo/slow/normal-${round}.txt`, sign: true });
      expect(get.text).toBe(`round ${round}`);
      latencies.push(Date.now() - t0);
    }
    const viaSdk = await server.client().put('slow/sdk.bin', testBytes(200_000, 3));
    expect(viaSdk.res.status).toBe(200);
    const servedBy = Date.now() - started;
    expect(Math.max(...latencies)).toBeLessThan(1500);

    const [h, b, s, r] = await Promise.all([headers, bodies, stalled, refused].map((group) => Promise.all(group.map((c) => c.done))));
    for (const answer of h!) {
      const parsed = parseAnswer(answer.text);
      expect(parsed.status, answer.text.slice(0, 200)).toBe(408);
      expect(parsed.headers['content-type']).toBe('application/xml');
      expect(parsed.xml['Code']).toBe('RequestTimeout');
      expect(parsed.xml['RequestId']).toBe(parsed.headers['x-oss-request-id']);
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50);
      expect(answer.closedAfterMs).toBeLessThan(headersTimeoutMs + 2000);
      expect(answer.sent).toBeLessThan(headerTrickle.length);
    }
    for (const answer of [...b!, ...s!]) {
      const parsed = parseAnswer(answer.text);
      expect(parsed.status, answer.text.slice(0, 200)).toBe(400);
      expect(parsed.xml['Code']).toBe('RequestTimeout');
      expect(parsed.xml['RequestId']).toBe(parsed.headers['x-oss-request-id']);
      expect(parsed.headers['connection']).toBe('close');
      expect(answer.firstByteAfterMs).toBeGreaterThanOrEqual(bodyIdleTimeoutMs - 50);
      expect(answer.firstByteAfterMs).toBeLessThan(bodyIdleTimeoutMs + 2000);
    }
    for (const answer of r!) {
      // Refused at once, then cut instead of drained byte by byte for 1,000 seconds.
      const parsed = parseAnswer(answer.text);
      expect(parsed.status).toBe(403);
      expect(parsed.xml['Code']).toBe('AccessDenied');
      expect(answer.firstByteAfterMs).toBeLessThan(1000);
      expect(answer.closedAfterMs).toBeLessThan(bodyIdleTimeoutMs + 3000);
    }
    // All of that was served while every slow socket was still open.
    const firstCut = Math.min(...[...h!, ...b!, ...s!].map((answer) => answer.firstByteAfterMs ?? answer.closedAfterMs));
    expect(servedBy).toBeLessThan(firstCut);
    expect(Date.now() - started).toBeLessThan(15_000);
    // Nothing half-written is left, and nothing of the slow uploads was stored.
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(join(server.dataDir, 'tmp'))).toEqual([]);
    expect((await rawRequest({ port: server.port, path: '/demo/slow/body-0.bin', sign: true })).status).toBe(404);
  }, 30_000);
});

describe('what is not cut', () => {
  it('an honest slow upload above the minimum rate (≈ 600 B/s for 4 s, past the grace) completes', async () => {
    const body = 'q'.repeat(2400);
    const client = slowClient(server.port, signedPutHead('slow/honest.bin', body.length), '', 1000);
    for (let at = 0; at < body.length; at += 150) {
      await new Promise((r) => setTimeout(r, 250));
      client.socket.write(body.slice(at, at + 150));
    }
    const answer = await Promise.race([
      client.done,
      new Promise<Slow>((resolve) => setTimeout(() => {
        client.socket.destroy();
        resolve({ text: 'open', closedAfterMs: 0, sent: 0, firstByteAfterMs: undefined });
      }, 2000)),
    ]);
    // The answer arrives on a kept-alive connection; whether the socket closed does not matter.
    expect(answer.text === 'open' ? 200 : parseAnswer(answer.text).status).toBe(200);
    const get = await rawRequest({ port: server.port, path: '/demo/slow/honest.bin', sign: true });
    expect(get.text).toBe(body);
  }, 15_000);

  it('a slow handler (a 4 s delay fault, longer than the body idle timeout) with a 4 MiB body waiting in the buffers is not a slow client', async () => {
    const rules = await rawRequest({
      port: server.port, method: 'POST', path: '/_local/faults', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ op: 'PutObject', key: 'slow/delayed.bin', action: 'delay', delayMs: 4000 }] }),
    });
    expect(rules.status, rules.text).toBe(200);
    const body = testBytes(4 * 1024 * 1024, 9);
    const t0 = Date.now();
    const put = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/slow/delayed.bin', body, sign: true, timeoutMs: 20_000 });
    expect(put.status, put.text).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3900);
    await rawRequest({ port: server.port, method: 'DELETE', path: '/_local/faults' });
  }, 20_000);
});

describe('connection caps', () => {
  it('one client holds at most maxConnectionsPerClient connections; a request on another gets 503 ActiveRequestLimitExceeded', async () => {
    const capped = await startServer({ maxConnectionsPerClient: 8, headersTimeoutMs: 10_000 });
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const socket = connect(capped.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((r) => socket.once('connect', () => r()));
        idle.push(socket);
      }
      const refused = await rawRequest({ port: capped.port, path: '/demo/cap/x', sign: true });
      expect(refused.status, refused.text).toBe(503);
      expect(refused.xml['Code']).toBe('ActiveRequestLimitExceeded');
      expect(refused.xml['RequestId']).toBe(refused.headers['x-oss-request-id']);
      expect(refused.headers['connection']).toBe('close');
      for (const socket of idle) socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const served = await rawRequest({ port: capped.port, path: '/demo/cap/x', sign: true });
      expect(served.status).toBe(404);
      expect(served.xml['Code']).toBe('NoSuchKey');
    } finally {
      for (const socket of idle) socket.destroy();
      await capped.dispose();
    }
  });

  it('maxConnections refuses connections beyond the cap at accept, and serves again once they close', async () => {
    const capped = await startServer({ maxConnections: 4, maxConnectionsPerClient: 0, headersTimeoutMs: 10_000 });
    const open: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const socket = connect(capped.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((r) => socket.once('connect', () => r()));
        open.push(socket);
      }
      await new Promise((r) => setTimeout(r, 50));
      await expect(rawRequest({ port: capped.port, path: '/demo/cap/x', sign: true, timeoutMs: 3000 })).rejects.toThrow();
      for (const socket of open) socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect((await rawRequest({ port: capped.port, path: '/demo/cap/x', sign: true })).status).toBe(404);
    } finally {
      for (const socket of open) socket.destroy();
      await capped.dispose();
    }
  });
});
