// `hf://ORG/NAME[@REV]`: a model in the local Hugging Face hub cache, resolved offline the way
// huggingface_hub's `snapshot_download(local_files_only=True)` does: the repository folder is
// `<HF_HUB_CACHE>/models--ORG--NAME`, a branch or tag is a file under `refs/` holding the commit
// hash, and the files are in `snapshots/<commit>/` (links into `blobs/`). HF_HUB_CACHE defaults to
// `<HF_HOME>/hub`, HF_HOME to `~/.cache/huggingface` (huggingface_hub's constants.py). The
// resolved folder still has to lie under the allowed import roots (src/registry/importPath.ts), and
// every step of the way (the repository folder, the refs file, the snapshot) is followed inside
// them: a `refs/main` that is a link out of the roots is FORBIDDEN, like any other file.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import { NotRegularFileError, OutsideRootsError, readRegularFile } from '../formats/regularFile.js';
import { followInside } from '../formats/roots.js';

export const HF_SCHEME = 'hf://';

// Hub repository ids: an optional namespace and a name of letters, digits, '-', '_' and '.'
// (huggingface_hub's validate_repo_id), never '..'; and never '--' anywhere, which
// validate_repo_id refuses too ("Cannot have -- or .. in repo_id"): the cache folder joins ORG and
// NAME with '--', so `org--x/name` and `org/x--name` would be the same models--org--x--name.
const PART = /^(?!\.)(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;
const REF = /^[A-Za-z0-9._/-]{1,255}$/;

export function isHfReference(path: string): boolean {
  return path.startsWith(HF_SCHEME);
}

export interface HfReference {
  repoId: string;
  revision: string;
}

export function parseHfReference(ref: string, field = 'path'): HfReference {
  const body = ref.slice(HF_SCHEME.length);
  const at = body.indexOf('@');
  const repoId = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? 'main' : body.slice(at + 1);
  const parts = repoId.split('/');
  if (parts.some((p) => p.includes('--')))
    throw new BadInputError(field, `${ref}: "--" is not allowed in a Hub repository id (the Hub refuses it too)`);
  if (parts.length > 2 || parts.some((p) => !PART.test(p))) {
    throw new BadInputError(field, `${ref}: expected hf://ORG/NAME or hf://ORG/NAME@REVISION with a Hub repository id`);
  }
  if (!REF.test(revision) || revision.split('/').includes('..'))
    throw new BadInputError(field, `${ref}: ${revision} is not a valid revision`);
  return { repoId, revision };
}

/** The snapshot folder of an hf:// reference in the hub cache (which must exist: nothing is downloaded). */
export async function resolveHfReference(ref: string, hubCache: string, roots: readonly string[], field = 'path'): Promise<string> {
  const { repoId, revision } = parseHfReference(ref, field);
  const repo = join(hubCache, `models--${repoId.replace('/', '--')}`);
  if (!(await isDirectory(repo, roots, field))) {
    throw new BadInputError(
      field,
      `${ref}: ${repoId} is not in the Hugging Face cache ${hubCache} (Bonsai works offline; download it with \`hf download ${repoId}\` first)`,
    );
  }
  let commit = revision;
  if (!COMMIT.test(revision)) {
    const refFile = join(repo, 'refs', ...revision.split('/'));
    // Through the confined opener: a link out of the roots is FORBIDDEN, and nothing else is told apart.
    const bytes = await readRegularFile(refFile, 1024, { field, roots }).catch((err: unknown) => {
      if (!(err instanceof NotRegularFileError)) throw err;
      throw new BadInputError(field, `${ref}: the cache has no revision ${revision} of ${repoId} (no refs/${revision})`);
    });
    commit = bytes.toString('utf8').trim();
    if (!COMMIT.test(commit)) throw new BadInputError(field, `${ref}: refs/${revision} does not hold a commit hash`);
  }
  const snapshot = join(repo, 'snapshots', commit);
  if (!(await isDirectory(snapshot, roots, field)))
    throw new BadInputError(field, `${ref}: the cache has no snapshot ${commit} of ${repoId}`);
  return snapshot;
}

/** Whether `path` is a folder, followed inside the roots only: one leading out is FORBIDDEN. */
async function isDirectory(path: string, roots: readonly string[], field: string): Promise<boolean> {
  const walk = await followInside(path, roots);
  if (walk.kind === 'outside') throw new OutsideRootsError(path, field, walk.lexically);
  if (walk.kind !== 'inside') return false;
  return stat(walk.real).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
