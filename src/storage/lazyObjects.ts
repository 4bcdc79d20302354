// An object store made on its first use (open.ts: the S3 store, whose SDK is not loaded by a
// process that never touches the bucket). Every call waits for it; a store on this machine's disk
// is never lazy, so `localPath` is null.
import type { Readable } from 'node:stream';
import type { ByteRange, ObjectInfo, ObjectStore } from './objects.js';

export class LazyObjects implements ObjectStore {
  private made: Promise<ObjectStore> | undefined;

  constructor(
    readonly location: string,
    private readonly make: () => Promise<ObjectStore>,
  ) {}

  private store(): Promise<ObjectStore> {
    this.made ??= this.make();
    return this.made;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    return (await this.store()).head(key);
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    return (await this.store()).read(key, range);
  }

  async putFile(key: string, file: string, signal?: AbortSignal): Promise<void> {
    return (await this.store()).putFile(key, file, signal);
  }

  async putStream(key: string, body: Readable | Buffer, signal?: AbortSignal): Promise<void> {
    return (await this.store()).putStream(key, body, signal);
  }

  async copyIn(key: string, file: string, signal?: AbortSignal): Promise<void> {
    return (await this.store()).copyIn(key, file, signal);
  }

  async materialize(key: string, target: string, signal?: AbortSignal): Promise<void> {
    return (await this.store()).materialize(key, target, signal);
  }

  async remove(keys: readonly string[]): Promise<void> {
    return (await this.store()).remove(keys);
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* (await this.store()).list(prefix);
  }

  async touch(key: string): Promise<boolean> {
    return (await this.store()).touch(key);
  }

  localPath(): string | null {
    return null;
  }
}
