// sha256 of files, read in 1 MiB chunks (checkpoints are large; memory stays flat).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256File(path: string): Promise<string> {
  return sha256Of(createReadStream(path, { highWaterMark: 1 << 20 }));
}

/** sha256 of a stream's bytes (a file opened elsewhere: a confined descriptor's stream). */
export async function sha256Of(chunks: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
