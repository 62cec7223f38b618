import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * SHA-256 (lowercase hex) of a file, read as a stream: the reads happen off the event loop and
 * each chunk is hashed on its own, so a build of a hundred megabytes never holds a request up
 * for longer than one chunk.
 */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
