// JSON request bodies of the Hub's write routes, read under the project's JSON policy
// (src/formats/json.ts parseJsonBytes: a size bound, strict UTF-8, nesting at most 128 as
// serde_json) instead of body-parser's bare JSON.parse. Git LFS sends its own media type
// (application/vnd.git-lfs+json, the batch API spec).
import express, { type RequestHandler } from 'express';
import { parseJsonBytes } from '../../formats/json.js';

export const LFS_TYPE = 'application/vnd.git-lfs+json';

export function jsonBody(maxBytes: number): RequestHandler[] {
  const raw = express.raw({ type: ['application/json', LFS_TYPE], limit: maxBytes });
  return [
    raw,
    (req, _res, next) => {
      req.body = Buffer.isBuffer(req.body) && req.body.length ? parseJsonBytes(req.body, 'body', { maxBytes }) : {};
      next();
    },
  ];
}
