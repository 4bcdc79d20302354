// POST /api/repos/create and DELETE /api/repos/delete (huggingface_hub's create_repo/delete_repo,
// huggingface.js's createRepo/deleteRepo): a model repository named organization/name. Creating
// needs the maintainer role, deleting the admin role; an existing name is 409 as on the Hub.

import { BadInputError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { createHubRepo, deleteHubRepo, type RepoRequest, repoNameOf } from '../../registry/hubRepos.js';
import { formatModelName } from '../../registry/names.js';
import { jsonBody } from './jsonBody.js';
import { baseUrl, writableRoute } from './writable.js';

const MAX_BODY_BYTES = 1024 * 1024;

export function createRepoRoute(services: Services) {
  return writableRoute(
    services,
    'MAINTAINER',
    async (req, res) => {
      const body = (req.body ?? {}) as RepoRequest & { files?: unknown };
      // huggingface.js may send a repository's first files here; Bonsai checks files as a commit only.
      if (body.files !== undefined && body.files !== null)
        throw new BadInputError('files', 'upload files with a commit after creating the repository');
      const model = await createHubRepo(services.registry, repoNameOf(body));
      const name = formatModelName(model);
      res.json({ url: `${baseUrl(req)}/${name}`, name, id: model.id });
    },
    jsonBody(MAX_BODY_BYTES),
  );
}

export function deleteRepoRoute(services: Services) {
  return writableRoute(
    services,
    'ADMIN',
    async (req, res) => {
      await deleteHubRepo(services.registry, repoNameOf((req.body ?? {}) as RepoRequest));
      res.json({});
    },
    jsonBody(MAX_BODY_BYTES),
  );
}
