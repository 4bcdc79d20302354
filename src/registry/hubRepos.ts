// Creating and deleting repositories as the Hub's clients ask (`POST /api/repos/create`,
// `DELETE /api/repos/delete`, huggingface_hub's create_repo/delete_repo, huggingface.js's
// createRepo/deleteRepo). A new repository is a model row without files: kind BASE and status
// QUEUED (waiting for its first commit, which decides its kind and makes it READY,
// src/registry/hubCommit.ts). Names are unique ignoring case; an existing one is CONFLICT (HTTP 409),
// which create_repo(exist_ok=True) takes as success, as on the Hub.
import { BadInputError } from '../errors.js';
import type { RegistryDeps } from './deps.js';
import { checkNameFree, deleteModel, type ModelRow } from './models.js';
import { parseModelName } from './names.js';
import { mapPrismaError } from './prismaErrors.js';

export interface RepoRequest {
  name?: unknown;
  organization?: unknown;
  type?: unknown;
}

/** `organization/name` from a request body; only model repositories are kept here. */
export function repoNameOf(body: RepoRequest): string {
  if (body.type !== undefined && body.type !== null && body.type !== 'model')
    throw new BadInputError('type', 'Bonsai keeps model repositories only (type: model)');
  if (typeof body.organization !== 'string' || !body.organization)
    throw new BadInputError('organization', 'is required: Bonsai has no user namespaces, name the owner');
  if (typeof body.name !== 'string' || !body.name) throw new BadInputError('name', 'is required');
  const full = `${body.organization}/${body.name}`;
  parseModelName(full, 'name');
  return full;
}

export async function createHubRepo(deps: Pick<RegistryDeps, 'prisma'>, full: string): Promise<ModelRow> {
  const name = parseModelName(full, 'name');
  await checkNameFree(deps, name, 'name');
  try {
    return await deps.prisma.model.create({ data: { owner: name.owner, name: name.name, kind: 'BASE', status: 'QUEUED' } });
  } catch (err) {
    throw mapPrismaError(err, `name: a model named ${full}`, 'name');
  }
}

/** Deletes the repository's model as deleteModel does (refused while it has descendants or a running job). */
export async function deleteHubRepo(deps: RegistryDeps, full: string): Promise<void> {
  await deleteModel(deps, full, false);
}
