// Git object ids as the Hub reports them for a file (`oid` in tree and paths-info, `blobId` in a
// sibling, the ETag of a plain file): the git blob sha1 of the content, or for a file kept in Git
// LFS the blob sha1 of its pointer file (git-lfs spec v1), whose `oid sha256:` is the content's.
import { createHash } from 'node:crypto';

export function gitBlobSha1(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The pointer git keeps in place of an LFS file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}
