// A local S3 server for the tests (s3rver: the S3 REST protocol over a folder), with one bucket,
// and the standard AWS SDK variables a Bonsai process needs to use it.
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { tempDir } from './tmp.js';

export interface LocalS3 {
  /** s3://bucket/prefix for BONSAI_ARTIFACTS_URL. */
  url: string;
  /** What a child process needs besides the URL (the SDK's own variables). */
  env: Record<string, string>;
  /** The same settings for an S3Client made in this process. */
  client: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  close(): Promise<void>;
}

const BUCKET = 'bonsai-test';

export async function startLocalS3(prefix = 'store'): Promise<LocalS3> {
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: tempDir('bonsai-s3rver-'),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver's fixed credentials (its README); the region is any.
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    url: `s3://${BUCKET}/${prefix}`,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      BONSAI_S3_FORCE_PATH_STYLE: 'true',
    },
    client: { endpoint, region: 'us-east-1', credentials },
    close: () => server.close(),
  };
}
