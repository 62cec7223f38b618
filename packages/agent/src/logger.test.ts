import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  const capture = (level: 'debug' | 'info' | 'warn' | 'error', pretty = false) => {
    const lines: string[] = [];
    const logger = createLogger({ level, secrets: ['s3cr3t-token'], write: (l) => lines.push(l), pretty, now: () => new Date(0) });
    return { lines, logger };
  };

  it('writes one JSON object a line with time, level, msg and fields', () => {
    const { lines, logger } = capture('info');
    logger.info('hello', { a: 1 });
    assert.deepEqual(JSON.parse(lines[0]!), { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'hello', a: 1 });
  });

  it('drops lines below the level', () => {
    const { lines, logger } = capture('warn');
    logger.info('quiet');
    logger.warn('loud');
    assert.equal(lines.length, 1);
  });

  it('redacts a secret wherever it appears, at every level and in errors', () => {
    const { lines, logger } = capture('debug');
    logger.debug('url ws://x/?token=s3cr3t-token');
    logger.error('failed', { error: new Error('bad token s3cr3t-token'), nested: { t: 's3cr3t-token' } });
    logger.child({ token: 's3cr3t-token' }).warn('child');
    for (const line of lines) assert.doesNotMatch(line, /s3cr3t-token/);
    assert.equal(lines.length, 3);
  });

  it('writes readable lines on a terminal', () => {
    const { lines, logger } = capture('info', true);
    logger.info('connected', { server: 'ws://a' });
    assert.equal(lines[0], '1970-01-01T00:00:00.000Z INFO  connected  server=ws://a');
  });
});
