import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/** A file of trusted CAs that could not be read; `variable` names the setting that named it. */
export class TrustRootError extends Error {
  override name = 'TrustRootError';
  constructor(
    readonly variable: 'CA_FILE' | 'NODE_EXTRA_CA_CERTS',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TrustRootFiles {
  /** The agent's `CA_FILE`. */
  caFile?: string;
  /** Node's own `NODE_EXTRA_CA_CERTS`, read again here (see below). */
  extraCaFile?: string;
}

function readPem(variable: TrustRootError['variable'], file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrustRootError(variable, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new TrustRootError(variable, `holds no PEM certificate (${file})`);
  return text;
}

/**
 * The CAs a `wss://` server's certificate is checked against: the runtime's bundled roots
 * (Mozilla's, as `tls.rootCertificates` lists them), plus `NODE_EXTRA_CA_CERTS`, plus
 * `CA_FILE`, all three together.
 *
 * `undefined` when neither file is set: the socket then uses the runtime's default store,
 * which is the bundled roots. As soon as one file is set, the list is spelled out whole,
 * because a socket given a `ca` option trusts that list only: Node drops both its bundled
 * roots and the `NODE_EXTRA_CA_CERTS` it read at start-up, so each is added back here.
 */
export function trustRoots(files: TrustRootFiles): string[] | undefined {
  const extra = files.extraCaFile ? [readPem('NODE_EXTRA_CA_CERTS', files.extraCaFile)] : [];
  const own = files.caFile ? [readPem('CA_FILE', files.caFile)] : [];
  if (extra.length === 0 && own.length === 0) return undefined;
  return [...rootCertificates, ...extra, ...own];
}
