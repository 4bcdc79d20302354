// POST /api/models/{owner}/{name}/preupload/{revision}: how each file of an upload travels, as the
// Hub answers huggingface_hub's _fetch_upload_modes and huggingface.js's commit: `lfs` (through the
// LFS batch API) for weights and anything of 10 MiB or more (hubRepo.ts isLfs), `regular` (inline in
// the commit) otherwise, empty files always regular. `oid` is the file's current id when the path
// exists (sha256 for LFS files, the git blob id otherwise): huggingface_hub leaves a file whose id
// equals its own out of the commit. `shouldIgnore` is the Hub's .gitignore answer: Bonsai applies
// none, so it is false (a file the checkpoint does not use is refused by the commit, by name).

import { BadInputError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { checkRepoPath } from '../../registry/hubCommitBody.js';
import { isLfs, repoRevision } from '../../registry/hubRepo.js';
import { fileOid } from './entries.js';
import { jsonBody } from './jsonBody.js';
import { writableRoute } from './writable.js';

/** The Hub's clients send 100 (huggingface.js) or 256 (huggingface_hub) files per request. */
const MAX_FILES = 1000;

export function preuploadRoute(services: Services) {
  return writableRoute<{ owner: string; name: string; revision: string }>(
    services,
    'MAINTAINER',
    async (req, res) => {
      const files = ((req.body ?? {}) as { files?: unknown }).files;
      if (!Array.isArray(files)) throw new BadInputError('files', 'must be a list of {path, size, sample}');
      if (files.length > MAX_FILES) throw new BadInputError('files', `at most ${MAX_FILES} in one request`);
      const current = await repoRevision(services.registry, `${req.params.owner}/${req.params.name}`, req.params.revision);
      const out = [];
      for (const [i, f] of (files as Array<{ path?: unknown; size?: unknown }>).entries()) {
        const path = checkRepoPath(f?.path, `files[${i}].path`);
        const size = Number(f?.size);
        if (!Number.isSafeInteger(size) || size < 0) throw new BadInputError(`files[${i}].size`, 'must be a byte count');
        const lfs = size > 0 && isLfs(path, size);
        // The card served as README.md is rendered, not stored: an uploaded one is always sent.
        const existing = current.files.find((e) => e.path === path && e.source.kind === 'blob');
        const oid = existing ? (existing.lfs ? existing.sha256 : await fileOid(services.registry.store, existing)) : undefined;
        out.push({ path, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false, ...(oid ? { oid } : {}) });
      }
      res.json({ files: out, commitOid: current.sha });
    },
    jsonBody(4 * 1024 * 1024),
  );
}
