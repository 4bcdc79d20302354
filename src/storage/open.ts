// The artifact store a process's configuration names: the folder BONSAI_ARTIFACTS_DIR (default
// <BONSAI_HOME>/artifacts), or with BONSAI_ARTIFACTS_URL=s3://BUCKET/PREFIX a bucket, the folder
// then holding only local temporary files and the ONNX cache.
import type { Config } from '../config.js';
import { LazyObjects } from './lazyObjects.js';
import { parseS3Url } from './s3Url.js';
import { ArtifactStore } from './store.js';

export function openArtifactStore(
  config: Pick<Config, 'artifactsDir'> & Partial<Pick<Config, 'artifactsUrl' | 's3ForcePathStyle'>>,
): ArtifactStore {
  if (!config.artifactsUrl) return new ArtifactStore(config.artifactsDir);
  const where = parseS3Url(config.artifactsUrl);
  if (!where) throw new Error(`BONSAI_ARTIFACTS_URL: must be s3://BUCKET or s3://BUCKET/PREFIX (got ${config.artifactsUrl})`);
  // The AWS SDK is loaded on the bucket's first use, not by every process that opens the store
  // (0.06 CPU-s of each job process's start on a folder store, when it was imported at the top).
  return new ArtifactStore(
    config.artifactsDir,
    new LazyObjects(`s3://${where.bucket}/${where.prefix}`, async () => {
      const { S3Objects } = await import('./s3Objects.js');
      return new S3Objects(where, { forcePathStyle: config.s3ForcePathStyle });
    }),
  );
}
