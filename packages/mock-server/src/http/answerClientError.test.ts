import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientErrorOf } from './answerClientError.js';

describe('clientErrorOf', () => {
  const cases: [string | undefined, string, number][] = [
    ['HPE_HEADER_OVERFLOW', 'HEADERS_TOO_LARGE', 431],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'PAYLOAD_TOO_LARGE', 413],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_METHOD', 'BAD_REQUEST', 400],
    ['HPE_INVALID_HEADER_TOKEN', 'BAD_REQUEST', 400],
    [undefined, 'BAD_REQUEST', 400],
  ];
  for (const [nodeCode, code, status] of cases) {
    it(`answers Node's ${nodeCode ?? 'uncoded error'} with ${code} (${status})`, () => {
      const error = clientErrorOf(nodeCode);
      assert.equal(error.code, code);
      assert.equal(error.status, status);
    });
  }
});
