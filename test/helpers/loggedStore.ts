// Artifact stores on both backends whose object writes are logged, with a fault injected at the
// n-th put on request: what the storage tests count puts with and break stores by.
import { randomBytes } from 'node:crypto';
import { FolderObjects } from '../../src/storage/folderObjects.js';
import type { ObjectStore } from '../../src/storage/objects.js';
import { S3Objects } from '../../src/storage/s3Objects.js';
import { ArtifactStore } from '../../src/storage/store.js';
import type { LocalS3 } from './s3.js';
import { tempDir } from './tmp.js';

/** Every key put, in order; `failAt` makes the put with that index throw `injected fault`. */
export interface PutLog {
  puts: string[];
  failAt?: number;
}

/** `o` with its puts logged in `log` (and failed at `log.failAt`); everything else passed through. */
export function logged(o: ObjectStore, log: PutLog): ObjectStore {
  const put = (key: string) => {
    log.puts.push(key);
    if (log.puts.length - 1 === log.failAt) throw new Error('injected fault');
  };
  return {
    location: o.location,
    head: (k) => o.head(k),
    read: (k, r) => o.read(k, r),
    localPath: (k) => o.localPath(k),
    list: (p) => o.list(p),
    materialize: (k, t, s) => o.materialize(k, t, s),
    copyIn: (k, f, s) => o.copyIn(k, f, s),
    touch: (k) => o.touch(k),
    remove: (keys) => o.remove(keys),
    putFile: async (k, f, s) => {
      put(k);
      await o.putFile(k, f, s);
    },
    putStream: async (k, b, s) => {
      put(k);
      await o.putStream(k, b, s);
    },
  };
}

/**
 * A folder store and one on a bucket of `s3()` (started by the test file), each made fresh with
 * its puts logged; `label` names the temporary folders and the bucket prefix.
 */
export function loggedBackends(label: string, s3: () => LocalS3): Array<[string, (log: PutLog) => ArtifactStore]> {
  return [
    [
      'folder',
      (log) => {
        const root = tempDir(`bonsai-${label}-`);
        return new ArtifactStore(root, logged(new FolderObjects(root), log), { pieceGraceMs: 0 });
      },
    ],
    [
      's3',
      (log) => {
        const objects = new S3Objects(
          { bucket: 'bonsai-test', prefix: `${label}/${randomBytes(4).toString('hex')}` },
          { forcePathStyle: true, client: s3().client },
        );
        return new ArtifactStore(tempDir(`bonsai-${label}-local-`), logged(objects, log), { pieceGraceMs: 0 });
      },
    ],
  ];
}
