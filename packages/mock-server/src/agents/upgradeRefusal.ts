import type { IncomingMessage } from 'node:http';
import { ServerError } from '../errors.js';
import { requestUrl } from '../http/requestUrl.js';

/** 16 random bytes in base64 (RFC 6455, section 4.1). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A token of RFC 9110, section 5.6.2. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why an upgrade request cannot become an agent socket, or null when it can. Checked
 * before `ws` sees the request, the same checks `ws` makes (method, `Upgrade`, key,
 * version, offered subprotocols), so a refusal carries the API's JSON error body like
 * every other 4xx of this port, and nothing malformed reaches a library.
 */
export function upgradeRefusal(request: IncomingMessage): ServerError | null {
  if (request.method !== 'GET') return new ServerError('METHOD_NOT_ALLOWED', 'an agent connects with GET', { headers: { allow: 'GET' } });
  try {
    requestUrl(request.url);
  } catch (error) {
    return error as ServerError;
  }
  if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return new ServerError('BAD_REQUEST', 'this port upgrades to WebSocket only (Upgrade: websocket)');
  }
  if (!KEY.test(request.headers['sec-websocket-key'] ?? '')) {
    return new ServerError('BAD_REQUEST', 'a WebSocket upgrade needs a Sec-WebSocket-Key of 16 bytes in base64');
  }
  const version = Number(request.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) {
    // RFC 6455, section 4.4: name the versions this server speaks.
    return new ServerError('UPGRADE_REQUIRED', 'this server speaks WebSocket version 13', { headers: { 'sec-websocket-version': '13' } });
  }
  const offered = request.headers['sec-websocket-protocol'];
  if (offered !== undefined) {
    const names = offered.split(',').map((name) => name.trim());
    if (!names.every((name) => TOKEN.test(name)) || new Set(names).size !== names.length) {
      return new ServerError('BAD_REQUEST', 'Sec-WebSocket-Protocol must be a list of distinct tokens');
    }
  }
  return null;
}
