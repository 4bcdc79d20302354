// Where an s3:// URL points (BONSAI_ARTIFACTS_URL), parsed without loading the AWS SDK.
export interface S3Location {
  bucket: string;
  /** '' or a prefix without slashes at either end. */
  prefix: string;
}

/** `s3://BUCKET` or `s3://BUCKET/PREFIX`; null when `url` is not an s3:// URL at all. */
export function parseS3Url(url: string): S3Location | null {
  const m = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(url);
  if (!m) return null;
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
