import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '../errors.js';
import { requestUrl } from './requestUrl.js';

const refused = (target: string | undefined) =>
  assert.throws(
    () => requestUrl(target),
    (error: unknown) => error instanceof ServerError && error.code === 'BAD_REQUEST',
    String(target),
  );

describe('requestUrl', () => {
  it('reads an origin-form target: path and query', () => {
    const url = requestUrl('/api/nodes?x=1');
    assert.equal(url.pathname, '/api/nodes');
    assert.equal(url.searchParams.get('x'), '1');
  });

  it('reads an absolute-form target, keeping only its path and query', () => {
    const url = requestUrl('http://example.com:8080/api/nodes?x=2');
    assert.equal(url.pathname, '/api/nodes');
    assert.equal(url.searchParams.get('x'), '2');
  });

  it('answers BAD_REQUEST for a "." or ".." segment, which the URL parser would resolve to another route', () => {
    for (const target of ['/api/clusters/.', '/api/clusters/..', '/api/nodes/%2e', '/api/nodes/%2E%2e/x', 'http://h/api/./nodes', '/./api/nodes?x=1']) refused(target);
    assert.equal(requestUrl('/api/nodes/a.b?x=..').pathname, '/api/nodes/a.b');
    assert.equal(requestUrl('/api/nodes/...').pathname, '/api/nodes/...');
  });

  it('keeps a path starting with // a path, not another host', () => {
    assert.equal(requestUrl('//evil.example/api/nodes').pathname, '//evil.example/api/nodes');
  });

  it('answers BAD_REQUEST, instead of throwing a TypeError, for a target the URL parser refuses (issue 12: http://[)', () => {
    for (const target of ['http://[', 'http://[::1', 'https://a b/', 'http://']) refused(target);
  });

  it('answers BAD_REQUEST for the asterisk and authority forms and anything else that is no path', () => {
    for (const target of ['*', 'example.com:443', 'ftp://example.com/', 'api/nodes', '', undefined]) refused(target);
  });
});
