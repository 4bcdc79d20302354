// The one interface the artifact store keeps its objects behind: a folder (FolderObjects) or an
// S3-compatible bucket (S3Objects). Keys are `/`-separated (`blobs/ab/abcdef…`); what a key holds
// never changes once written (content addressing, or an export keyed by its inputs), so a second
// write of a key is harmless and readers need no locking. Temporary files stay local to the
// process: a put takes a finished local file.
import type { Readable } from 'node:stream';

/** Bytes `start` to `end`, both included (RFC 9110 §14.1.2, as range-parser returns them). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  size: number;
  /** When it was written or last touched: cleanup spares young unreferenced objects. */
  modified: Date;
}

export interface ObjectStore {
  /** The folder or `s3://bucket/prefix`, for logs and the server's own error messages. */
  readonly location: string;
  /** Size and age, or null when there is no such object. */
  head(key: string): Promise<ObjectInfo | null>;
  /** A stream of the object's bytes, or only those of `range` (nothing before it is read). */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Makes a finished local file the object `key`; the file is gone afterwards (a folder renames it). */
  putFile(key: string, file: string, signal?: AbortSignal): Promise<void>;
  /** Writes `body` as `key` (a piece cut from a local file, a manifest); a reader never sees part of it. */
  putStream(key: string, body: Readable | Buffer, signal?: AbortSignal): Promise<void>;
  /** Stores a copy of a local file as `key`; the file stays (a derived export kept in a local cache). */
  copyIn(key: string, file: string, signal?: AbortSignal): Promise<void>;
  /** Writes the object to a new local file `target`: a read-only hard link for a folder, a download otherwise. */
  materialize(key: string, target: string, signal?: AbortSignal): Promise<void>;
  /** Removes objects; a missing one is not an error. */
  remove(keys: readonly string[]): Promise<void>;
  /** Every key under `prefix` (which ends with `/`). */
  list(prefix: string): AsyncIterable<string>;
  /** Restarts an object's age; false when there is no such object (a removal took it). */
  touch(key: string): Promise<boolean>;
  /** The object's path when it lies on this machine's disk (served by sendfile), else null. */
  localPath(key: string): string | null;
}
