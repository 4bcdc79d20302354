// GET /api/models/{owner}/{name}/tree/{revision}[/{path}] and POST …/paths-info/{revision}: the
// files of a model at a revision, as the Hub lists them (huggingface_hub's list_repo_tree and
// get_paths_info, huggingface.js's listFiles and pathsInfo). `recursive=true` lists every file
// below the folder; paths-info takes `paths` as JSON (huggingface.js) or a form (huggingface_hub).
import express from 'express';
import { BadInputError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { EntryNotFoundError, repoRevision } from '../../registry/hubRepo.js';
import { readableRoute } from '../cardRoute.js';
import { directoryEntry, fileEntry, treeEntries } from './entries.js';
import { jsonBody } from './jsonBody.js';

const truthy = (v: unknown) => v === 'true' || v === '1' || v === true;

export function treeRoute(services: Services) {
  return readableRoute<{ owner: string; name: string; revision: string; path?: string[] }>(services, async (req, res) => {
    const repo = `${req.params.owner}/${req.params.name}`;
    const dir = (req.params.path ?? []).join('/').replace(/\/+$/, '');
    const { files } = await repoRevision(services.registry, repo, req.params.revision);
    const entries = await treeEntries(services.registry.store, files, dir, truthy(req.query.recursive));
    if (!entries) throw new EntryNotFoundError(repo, dir);
    res.json(entries);
  });
}

/** At most this many paths in one paths-info request (the Hub's clients send 50 at a time). */
const MAX_PATHS = 1000;

export function pathsInfoRoute(services: Services) {
  return readableRoute<{ owner: string; name: string; revision: string }>(
    services,
    async (req, res) => {
      const body = (req.body ?? {}) as { paths?: unknown };
      const paths = typeof body.paths === 'string' ? [body.paths] : body.paths;
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
        throw new BadInputError('paths', 'must be a list of file or folder paths');
      if (paths.length > MAX_PATHS) throw new BadInputError('paths', `at most ${MAX_PATHS} paths in one request`);
      const { files } = await repoRevision(services.registry, `${req.params.owner}/${req.params.name}`, req.params.revision);
      const out = [];
      // Paths that are neither a file nor a folder are left out, as the Hub does.
      for (const path of new Set(paths.map((p) => p.replace(/^\/+|\/+$/g, '')))) {
        const file = files.find((f) => f.path === path);
        if (file) out.push(await fileEntry(services.registry.store, file));
        else {
          const below = files.filter((f) => f.path.startsWith(`${path}/`));
          if (path && below.length) out.push(directoryEntry(path, below));
        }
      }
      res.json(out);
    },
    [
      // JSON under the project's policy (strict UTF-8), as every body; huggingface_hub sends a form.
      ...jsonBody(1024 * 1024),
      express.urlencoded({ extended: false, limit: '1mb' }),
    ],
  );
}
