// A repository file as the Hub's API describes it: tree and paths-info entries, model-info
// siblings (huggingface_hub's RepoFile / RepoSibling, huggingface.js's ListFileEntry / PathInfo).
import type { Readable } from 'node:stream';
import type { RepoFile, RepoFileSource } from '../../registry/hubRepo.js';
import type { ByteRange } from '../../storage/objects.js';
import type { ArtifactStore } from '../../storage/store.js';
import { gitBlobSha1, lfsPointer } from './oid.js';

export interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/**
 * Where a stored file's bytes lie whole on this server's disk (a folder store), or null (a bucket,
 * a file stored in pieces, the card).
 */
export function sourcePath(store: ArtifactStore, source: RepoFileSource): Promise<string | null> {
  if (source.kind === 'bytes') return Promise.resolve(null);
  if (source.kind === 'blob') return store.localBlobPath(source.sha256);
  return Promise.resolve(store.objects.localPath(source.object));
}

/** A stored file's bytes, or those of `range` only (the store does not read the bytes before it). */
export function sourceStream(
  store: ArtifactStore,
  source: Exclude<RepoFileSource, { kind: 'bytes' }>,
  range?: ByteRange,
): Promise<Readable> {
  return source.kind === 'blob' ? store.readBlob(source.sha256, range) : store.objects.read(source.object, range);
}

/** Blob ids of plain files by their sha256: a file under LFS's threshold is read once per process. */
const blobIds = new Map<string, Promise<string>>();

/** The git object id of a file: its blob sha1, or its LFS pointer's. */
export function fileOid(store: ArtifactStore, file: RepoFile): Promise<string> {
  if (file.lfs) return Promise.resolve(gitBlobSha1(lfsPointer(file.sha256, file.size)));
  let id = blobIds.get(file.sha256);
  if (!id) {
    const { source } = file;
    id = (source.kind === 'bytes' ? Promise.resolve(source.bytes) : readAll(sourceStream(store, source))).then(gitBlobSha1);
    id.catch(() => blobIds.delete(file.sha256));
    blobIds.set(file.sha256, id);
  }
  return id;
}

/** A plain file (under LFS's threshold, 10 MiB) whole. */
async function readAll(stream: Promise<Readable>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function fileEntry(store: ArtifactStore, file: RepoFile): Promise<TreeEntry> {
  return {
    type: 'file',
    oid: await fileOid(store, file),
    size: file.size,
    path: file.path,
    ...(file.lfs ? { lfs: { oid: file.sha256, size: file.size, pointerSize: Buffer.byteLength(lfsPointer(file.sha256, file.size)) } } : {}),
  };
}

/** A folder's entry: the Hub gives folders the id of their git tree; a hash of the paths below stands in. */
export function directoryEntry(path: string, below: readonly RepoFile[]): TreeEntry {
  return { type: 'directory', oid: gitBlobSha1(below.map((f) => `${f.path}\0${f.sha256}\n`).join('')), size: 0, path };
}

/**
 * The entries directly in folder `dir` ('' for the top), or every file below it when `recursive`,
 * as the Hub's tree lists them: folders before the files of each level, both by path.
 */
export async function treeEntries(
  store: ArtifactStore,
  files: readonly RepoFile[],
  dir: string,
  recursive: boolean,
): Promise<TreeEntry[] | null> {
  const prefix = dir ? `${dir}/` : '';
  const below = files.filter((f) => f.path.startsWith(prefix));
  if (dir && below.length === 0) return null;
  const folders = new Map<string, RepoFile[]>();
  const direct: RepoFile[] = [];
  for (const f of below) {
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) direct.push(f);
    else {
      const folder = prefix + rest.slice(0, slash);
      folders.set(folder, [...(folders.get(folder) ?? []), f]);
    }
  }
  const out: TreeEntry[] = [];
  for (const [folder, inside] of [...folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(directoryEntry(folder, inside));
    if (recursive) out.push(...((await treeEntries(store, inside, folder, true)) ?? []));
  }
  for (const f of direct) out.push(await fileEntry(store, f));
  return out;
}
