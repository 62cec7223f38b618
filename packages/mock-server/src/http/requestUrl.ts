import { ServerError } from '../errors.js';

/** The base of origin-form targets; never shown to anyone. */
const ORIGIN = 'http://api.invalid';

/**
 * The URL of a request-target (RFC 9112, section 3.2): origin-form (`/path?query`), or
 * absolute-form (`http://host/path`, which a server must accept; only its path and query
 * are used). Anything else, or a target the URL parser refuses, is a `BAD_REQUEST`: the
 * parser throws on input such as `http://[`, and one such request must not end the server.
 */
export function requestUrl(target: string | undefined): URL {
  const text = target ?? '';
  let url: URL | null = null;
  try {
    // Appended, not resolved: `//host/x` is a path here, not a URL of another host.
    if (text.startsWith('/')) url = new URL(`${ORIGIN}${text}`);
    else if (/^https?:\/\//i.test(text)) url = new URL(text);
  } catch {
    // Refused below.
  }
  if (!url) {
    throw new ServerError('BAD_REQUEST', 'the request-target must be a path or an absolute http URL');
  }
  // The URL parser resolves `.` and `..` (`%2e` too): `/api/clusters/.` would reach the list of clusters, not a refused id.
  const path = text.replace(/^https?:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0]!;
  if (path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    throw new ServerError('BAD_REQUEST', 'the request-target has a "." or ".." segment');
  }
  return url;
}
