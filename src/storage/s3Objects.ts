// The store's objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2), under
// a prefix: `s3://bucket/prefix/blobs/ab/abcdef…`. Endpoint, region and credentials come from the
// AWS SDK's standard sources (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION,
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles: the SDK's "Configuration and
// credential file settings" and "Service-specific endpoints" pages); path-style addressing, which
// MinIO and Ceph RGW behind a plain host name need, is Bonsai's own switch (the SDK has no
// variable for it). Uploads go through lib-storage's Upload: a multipart upload of 8 MiB parts,
// four in flight, read from the local file as they are sent, so the memory an upload holds is
// bounded whatever the file's size. A PUT is atomic on S3: a reader sees the whole object or none.
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ByteRange, ObjectInfo, ObjectStore } from './objects.js';
import type { S3Location } from './s3Url.js';

const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
/** DeleteObjects takes at most 1,000 keys (S3 API reference). */
const DELETE_BATCH = 1000;

export class S3Objects implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;

  constructor(where: S3Location, options: { forcePathStyle?: boolean; client?: S3ClientConfig } = {}) {
    this.bucket = where.bucket;
    this.prefix = where.prefix;
    this.client = new S3Client({ forcePathStyle: options.forcePathStyle ?? false, ...options.client });
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  localPath(): null {
    return null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      // A touch is recorded in the object's metadata as well: S3 restarts LastModified on a copy
      // onto itself, but not every S3-compatible server does (s3rver keeps it).
      const touched = out.Metadata?.touched ? Date.parse(out.Metadata.touched) : Number.NaN;
      const modified = out.LastModified ?? new Date(0);
      return { size: Number(out.ContentLength ?? 0), modified: touched > modified.getTime() ? new Date(touched) : modified };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    // In Node the body is an http.IncomingMessage (a Readable), consumed as it arrives.
    return out.Body as Readable;
  }

  async putFile(key: string, file: string, signal?: AbortSignal): Promise<void> {
    await this.copyIn(key, file, signal);
    await unlink(file);
  }

  async copyIn(key: string, file: string, signal?: AbortSignal): Promise<void> {
    await this.putStream(key, createReadStream(file, { highWaterMark: 1 << 20 }), signal);
  }

  async putStream(key: string, body: Readable | Buffer, signal?: AbortSignal): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(key), Body: body },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      // A failed multipart upload is aborted, so no parts are left to bill.
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async materialize(key: string, target: string, signal?: AbortSignal): Promise<void> {
    await pipeline(await this.read(key), createWriteStream(target, { flags: 'wx', mode: 0o444 }), { signal });
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.key(k) })), Quiet: true } }),
      );
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const full = this.key(prefix);
    const skip = this.prefix ? this.prefix.length + 1 : 0;
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: full })) {
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key.slice(skip);
    }
  }

  async touch(key: string): Promise<boolean> {
    // A copy onto itself with new metadata is how S3 restarts an object's LastModified.
    return this.client
      .send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          CopySource: `${this.bucket}/${encodeURI(this.key(key))}`,
          MetadataDirective: 'REPLACE',
          Metadata: { touched: new Date().toISOString() },
        }),
      )
      .then(
        () => true,
        (err) => {
          if (!isNotFound(err)) throw err;
          return false;
        },
      );
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
