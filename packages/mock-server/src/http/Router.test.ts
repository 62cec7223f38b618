import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '../errors.js';
import { Router } from './Router.js';

const url = (path: string) => new URL(path, 'http://x');

function refusal(fn: () => unknown): ServerError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error;
  }
  return assert.fail('expected a ServerError');
}

describe('Router', () => {
  const list = () => ({ status: 200 });
  const show = () => ({ status: 200 });
  const router = new Router().add('GET', '/api/containers', list).add('GET', '/api/containers/:id', show).add('DELETE', '/api/containers/:id', show);

  it('matches a pattern and decodes its parameters', () => {
    const found = router.resolve('GET', url('/api/containers/web%201?x=1'));
    assert.equal(found.handler, show);
    assert.deepEqual(found.params, { id: 'web 1' });
  });

  it('ignores a trailing slash', () => {
    assert.equal(router.resolve('GET', url('/api/containers/')).handler, list);
  });

  it('answers NOT_FOUND (404) for an unknown path', () => {
    const error = refusal(() => router.resolve('GET', url('/api/nothing')));
    assert.equal(error.code, 'NOT_FOUND');
    assert.equal(error.status, 404);
  });

  it('answers METHOD_NOT_ALLOWED (405) for a known path with another method', () => {
    const error = refusal(() => router.resolve('PUT', url('/api/containers/abc')));
    assert.equal(error.code, 'METHOD_NOT_ALLOWED');
    assert.equal(error.status, 405);
  });

  it('answers BAD_REQUEST for a malformed percent-encoding instead of throwing a URIError', () => {
    assert.equal(refusal(() => router.resolve('GET', url('/api/containers/%E0%A4%A'))).code, 'BAD_REQUEST');
  });
});
