// POST /api/models/{owner}/{name}/commit/{revision}: a commit of added, LFS and deleted files, as
// NDJSON (huggingface.js, huggingface_hub) or the older JSON form, read as it streams in
// (src/registry/hubCommitBody.ts) and applied as a registration (src/registry/hubCommit.ts). The
// answer is the Hub's: the new commit's id (commitOid) and URL.
import express from 'express';
import { BonsaiError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { commitToRepo } from '../../registry/hubCommit.js';
import { CommitBodyReader, MAX_JSON_BODY_BYTES } from '../../registry/hubCommitBody.js';
import { formatModelName } from '../../registry/names.js';
import { bodySlots } from './bodySlots.js';
import { baseUrl, writableRoute } from './writable.js';

/** The JSON form is read whole (bounded), after the token check; NDJSON is left to stream. */
const commitJsonBody = express.raw({ type: 'application/json', limit: MAX_JSON_BODY_BYTES });
/** JSON-form commits reading their body at once, per process (bodySlots.ts). */
export const MAX_JSON_COMMITS = 2;

export function commitRoute(services: Services) {
  return writableRoute<{ owner: string; name: string; revision: string }>(
    services,
    'MAINTAINER',
    async (req, res) => {
      const { store } = services.registry;
      const staging = await store.tempDir('commit-body');
      try {
        const reader = new CommitBodyReader(staging);
        const body = Buffer.isBuffer(req.body)
          ? await reader.readJson(req.body)
          : req.is('application/x-ndjson') || req.is('application/jsonl') || !req.headers['content-type']
            ? await reader.readNdjson(req)
            : (() => {
                throw new BonsaiError('BAD_USER_INPUT', 'Content-Type: send application/x-ndjson (or application/json)', {
                  field: 'Content-Type',
                });
              })();
        const { model, sha } = await commitToRepo(services.registry, {
          repo: `${req.params.owner}/${req.params.name}`,
          revision: req.params.revision,
          body,
        });
        const name = formatModelName(model);
        res.json({ success: true, commitOid: sha, commitUrl: `${baseUrl(req)}/${name}/commit/${sha}`, hookOutput: '' });
      } finally {
        await store.removeTemp(staging);
      }
    },
    [bodySlots(MAX_JSON_COMMITS, (req) => typeof req.is('application/json') === 'string'), commitJsonBody],
  );
}
