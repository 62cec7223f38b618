import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { waitFor } from '@lormas/testkit';
import { engineGet, type EngineAddress } from './engineGet.js';
import { toAgentError } from './engineErrors.js';

/** What a fake engine does with one connection, given the request's head. */
type Answer = (socket: Socket, request: string) => void;

/** A fake engine on a unix socket in a temporary folder (or on loopback TCP); each test sets its answer. */
async function fakeEngine(where: 'unix' | 'tcp') {
  const folder = mkdtempSync(join(tmpdir(), 'engine-get-'));
  const requests: string[] = [];
  const sockets: Socket[] = [];
  let answer: Answer = (socket) => socket.end('HTTP/1.0 500 Internal Server Error\r\n\r\nno answer set');
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    let head = '';
    const onData = (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      answer(socket, head);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  const address: EngineAddress = await new Promise((resolve) => {
    if (where === 'unix') {
      const socketPath = join(folder, 'engine.sock');
      server.listen(socketPath, () => resolve({ socketPath }));
    } else server.listen(0, '127.0.0.1', () => resolve({ host: '127.0.0.1', port: (server.address() as { port: number }).port }));
  });
  return {
    address,
    requests,
    sockets,
    answer(next: Answer) {
      answer = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function readAll(body: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('latin1');
}

describe('engineGet', () => {
  let engine: Awaited<ReturnType<typeof fakeEngine>>;
  before(async () => {
    engine = await fakeEngine('unix');
  });
  after(() => engine.close());

  it('asks for one answer on its own connection, and reads an unframed body to the close', async () => {
    engine.answer((socket) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nfirst ');
      setTimeout(() => socket.end('and last'), 5);
    });
    const body = await engineGet(engine.address, '/containers/abc/logs?follow=1');
    assert.equal(await readAll(body), 'first and last');
    assert.match(engine.requests.at(-1)!, /^GET \/containers\/abc\/logs\?follow=1 HTTP\/1\.1\r\nHost: docker\r\n/);
    assert.match(engine.requests.at(-1)!, /\r\nConnection: close\r\n/);
  });

  it('reads a chunked body and a Content-Length body, in a head and body that arrive in pieces', async () => {
    engine.answer((socket) => {
      const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
      let at = 0;
      const drip = setInterval(() => {
        socket.write(wire.slice(at, at + 7));
        at += 7;
        if (at >= wire.length) clearInterval(drip);
      }, 1);
    });
    assert.equal(await readAll(await engineGet(engine.address, '/chunked')), 'hello world');
    engine.answer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbodyEXTRA'));
    assert.equal(await readAll(await engineGet(engine.address, '/length')), 'body');
  });

  it("rejects another status with the engine's message, which toAgentError maps as it maps dockerode's", async () => {
    engine.answer((socket) => socket.end('HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"message":"No such container: abc"}\n'));
    const refused = await engineGet(engine.address, '/containers/abc/logs').then(
      () => assert.fail('resolved'),
      (error: unknown) => error,
    );
    assert.equal((refused as { statusCode: number }).statusCode, 404);
    const mapped = toAgentError(refused);
    assert.equal(mapped.code, 'NOT_FOUND');
    assert.equal(mapped.message, 'No such container: abc');
    engine.answer((socket) => socket.end('HTTP/1.0 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nbroken'));
    await assert.rejects(engineGet(engine.address, '/x'), (error: unknown) => {
      const agentError = toAgentError(error);
      return agentError.code === 'ENGINE_ERROR' && agentError.message === 'broken' && agentError.engineStatus === 500;
    });
  });

  it('fails the body when the engine closes in the middle of a framed answer, and a request the engine drops', async () => {
    engine.answer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
    await assert.rejects(readAll(await engineGet(engine.address, '/cut')), /before the end of its answer/);
    // An engine restarting in the middle of a followed log: the chunked answer has no last chunk.
    engine.answer((socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'));
    await assert.rejects(readAll(await engineGet(engine.address, '/cut-chunked')), /before the end of its answer/);
    engine.answer((socket) => socket.end());
    await assert.rejects(engineGet(engine.address, '/dropped'), /without an answer/);
    engine.answer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await assert.rejects(engineGet(engine.address, '/not-http'), /status line/);
  });

  it('rejects, and crashes nothing, when the read that brings the head also brings a malformed body', async () => {
    engine.answer((socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n'));
    await assert.rejects(engineGet(engine.address, '/bad-chunk'), /chunk size/);
  });

  it('is ENGINE_UNAVAILABLE when nothing listens there', async () => {
    await assert.rejects(engineGet({ socketPath: join(tmpdir(), `no-engine-${process.pid}.sock`) }, '/x'), (error: unknown) => {
      const mapped = toAgentError(error);
      return mapped instanceof AgentError && mapped.code === 'ENGINE_UNAVAILABLE';
    });
  });

  it('leaves the socket unread while the consumer holds its high-water mark, so the engine waits; then delivers everything', async () => {
    const total = 8 * 1024 * 1024;
    let written = 0;
    let blocked = false;
    engine.answer((socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      const block = Buffer.alloc(64 * 1024, 'z');
      const pump = () => {
        while (written < total) {
          written += block.length;
          if (!socket.write(block)) {
            blocked = true;
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    const body = await engineGet(engine.address, '/flood', { highWaterMark: 64 * 1024 });
    await waitFor(() => blocked, { what: 'the engine to be held up' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const held = body.bytesRead;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(body.bytesRead, held, 'nothing read while the consumer holds the high-water mark');
    assert.ok(held < 2 * 1024 * 1024, `${held} bytes read of ${total}`);
    assert.equal((await readAll(body)).length, total);
  });

  it('reads a stream written in many small pieces in few reads (readPaceMs), and as they come with 0', async (t) => {
    const writes = 2_000;
    engine.answer((socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      let n = 0;
      const next = () => {
        if (n++ === writes) return socket.end();
        socket.write(`line ${n}\n`);
        setImmediate(next);
      };
      next();
    });
    const reads = async (readPaceMs: number) => {
      const body = await engineGet(engine.address, '/trickle', { readPaceMs });
      let count = 0;
      let lines = 0;
      for await (const part of body) {
        count += 1;
        lines += (part as Buffer).toString('latin1').split('\n').length - 1;
      }
      assert.equal(lines, writes);
      return count;
    };
    const paced = await reads(1);
    const unpaced = await reads(0);
    t.diagnostic(`${writes} writes: ${paced} reads paced, ${unpaced} unpaced`);
    assert.ok(paced * 4 < writes, `${paced} reads paced for ${writes} writes (${unpaced} unpaced)`);
    assert.ok(paced * 2 < unpaced, `${paced} reads paced, ${unpaced} unpaced`);
  });

  it('closes the connection when the body is destroyed', async () => {
    let closed = false;
    engine.answer((socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\nsome');
      socket.on('close', () => (closed = true));
    });
    const body = await engineGet(engine.address, '/follow');
    body.destroy();
    await waitFor(() => closed, { what: 'the engine to see the close' });
  });

  it('refuses a negative readPaceMs, a high-water mark that is no size, and a path that would break the request line', () => {
    assert.throws(() => engineGet(engine.address, '/x', { readPaceMs: -1 }), /readPaceMs/);
    assert.throws(() => engineGet(engine.address, '/x', { highWaterMark: 0 }), /highWaterMark/);
    assert.throws(() => engineGet(engine.address, '/x HTTP/1.1\r\nX-Injected: 1'), /path/);
    assert.throws(() => engineGet(engine.address, 'containers/x'), /path/);
  });

  it('speaks to an engine on a TCP port as well', async () => {
    const tcp = await fakeEngine('tcp');
    try {
      tcp.answer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nover tcp'));
      assert.equal(await readAll(await engineGet(tcp.address, '/x')), 'over tcp');
    } finally {
      await tcp.close();
    }
  });
});
