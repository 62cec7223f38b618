/**
 * Checks a `SERVER_URL` and returns it as given. Refused, each with a message that never
 * repeats a credential:
 * - a scheme other than `ws` or `wss` (`http` would be dialled too, which hides a typo);
 * - user info (`ws://user:secret@host`): the agent authenticates with its node token, and a
 *   password in the URL would be written to the log with the URL;
 * - a fragment, even an empty one: the WebSocket client throws on it at every dial, which
 *   would end the process long after start-up instead of at it.
 */
export function parseServerUrl(raw: string): { url: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: 'must be a ws:// or wss:// URL' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return { error: 'must be a ws:// or wss:// URL' };
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) {
    return { error: 'must not hold user info (user:password@); the agent authenticates with NODE_TOKEN' };
  }
  if (raw.includes('#')) return { error: 'must not hold a fragment (#...)' };
  return { url: raw };
}

/** `raw` with any user info masked, for an error line. */
export function maskUserInfo(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/)[^/?#]*@/i, '$1***@');
}
