// Revisions: every state of a model's files is an immutable revision with a 40-hex sha, the Hub's
// commit. A registration, an upload commit and a prune result each make one, in the transaction
// that gives the model its new artifact; `main` (and `HEAD`) is the newest, the model's artifact,
// and older revisions stay downloadable by their sha. The sha is computed as git computes a commit
// id — over the files (path and sha256), the parent revision, the time and the message — so two
// revisions never share one, even when their files do (a revert).
import { createHash } from 'node:crypto';
import type { db } from '../db/client.js';
import { BadInputError, BonsaiError, NotFoundError } from '../errors.js';
import { MAX_CONFIG_BYTES, parseJsonObject } from '../formats/checkpoint/folder.js';
import type { RegistryDeps } from './deps.js';
import type { Tx } from './jobs/tx.js';

export type RevisionRow = db.Revision;

/** Revisions a model answers to by name besides their sha: its branch and HEAD. */
export const MAIN_REVISIONS: ReadonlySet<string> = new Set(['main', 'HEAD', 'refs/heads/main']);

export class RevisionNotFoundError extends BonsaiError {
  constructor(repo: string, revision: string) {
    super('NOT_FOUND', `revision not found: ${revision} of ${repo} (main, HEAD or a sha from its history)`, {
      field: 'revision',
      what: 'revision',
      key: revision,
      hubErrorCode: 'RevisionNotFound',
    });
  }
}

/** sha1 over the sorted `path NUL sha256 LF` lines of a set of files: the revision's tree. */
export function treeSha(files: ReadonlyArray<{ path: string; sha256: string }>): string {
  const hash = createHash('sha1');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${f.path}\0${f.sha256}\n`);
  return hash.digest('hex');
}

export interface NewRevision {
  modelId: string;
  artifactId: string;
  message: string;
  source?: string | null;
}

/** Records the model's new state; call it in the transaction that sets the model's artifact. */
export async function createRevision(tx: Tx, r: NewRevision): Promise<RevisionRow> {
  const [files, parent] = await Promise.all([
    tx.artifactFile.findMany({ where: { artifactId: r.artifactId }, select: { path: true, sha256: true } }),
    tx.revision.findFirst({ where: { modelId: r.modelId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { sha: true } }),
  ]);
  const createdAt = new Date();
  // As `git commit-tree` writes a commit: tree, parent, date, message.
  const commit = `tree ${treeSha(files)}\n${parent ? `parent ${parent.sha}\n` : ''}date ${createdAt.toISOString()}\n\n${r.message}\n`;
  const sha = createHash('sha1')
    .update(`commit ${Buffer.byteLength(commit)}\0${commit}`)
    .digest('hex');
  return tx.revision.create({
    data: { modelId: r.modelId, artifactId: r.artifactId, sha, message: r.message, source: r.source ?? null, createdAt },
  });
}

/** A model's revisions, newest first. */
export function listRevisions(deps: Pick<RegistryDeps, 'prisma'>, modelId: string): Promise<RevisionRow[]> {
  return deps.prisma.revision.findMany({ where: { modelId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
}

/**
 * The revision `revision` names for a model: main/HEAD is the model's artifact (null when it has
 * none yet), a sha (or a unique prefix of at least 7 hex digits, as git accepts) one of its history.
 */
export async function findRevision(
  deps: Pick<RegistryDeps, 'prisma'>,
  model: { id: string; owner: string; name: string; artifactId: string | null },
  revision: string,
): Promise<RevisionRow | null> {
  if (MAIN_REVISIONS.has(revision)) {
    if (!model.artifactId) return null;
    return deps.prisma.revision.findFirst({ where: { modelId: model.id, artifactId: model.artifactId }, orderBy: { createdAt: 'desc' } });
  }
  const repo = `${model.owner}/${model.name}`;
  if (!/^[0-9a-f]{7,40}$/.test(revision)) throw new RevisionNotFoundError(repo, revision);
  const found = await deps.prisma.revision.findMany({ where: { modelId: model.id, sha: { startsWith: revision } }, take: 2 });
  if (found.length !== 1) throw new RevisionNotFoundError(repo, revision);
  return found[0]!;
}

/** The stored config.json of a revision (an older one: the model row holds only the newest). */
export async function revisionConfig(deps: Pick<RegistryDeps, 'prisma' | 'store'>, artifactId: string): Promise<Record<string, unknown>> {
  const file = await deps.prisma.artifactFile.findFirst({ where: { artifactId, path: 'config.json' } });
  if (!file) throw new BadInputError('parentRevision', 'that revision has no config.json');
  return parseJsonObject(await deps.store.readBlobBytes(file.sha256, MAX_CONFIG_BYTES), 'config.json');
}

/** The files of a model's revision by its full sha (what a job recorded). */
export async function revisionFiles(deps: Pick<RegistryDeps, 'prisma'>, modelId: string, sha: string) {
  const revision = await deps.prisma.revision.findUnique({
    where: { modelId_sha: { modelId, sha } },
    include: { artifact: { include: { files: true } } },
  });
  if (!revision) throw new NotFoundError('revision', sha);
  return revision.artifact.files;
}
