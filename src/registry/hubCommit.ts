// An upload commit is a registration. The commit's operations are applied to the model's current
// files; the resulting set is checked out into a folder of the store's tmp/ (hard links to the
// blobs and to the staged inline files: no copy) and checked exactly as registerModel checks an
// import folder (src/registry/checkFolder.ts); only then do the inline files become blobs and the
// rows change, in one transaction: a new artifact, the model's fields from the checkpoint, and a
// new revision (src/registry/revisions.ts), whose sha is the commit id the client gets back. The
// first commit of a repository made by /api/repos/create (a QUEUED model without an artifact)
// makes it a BASE model, or a DERIVED one with lineage edges when its README.md names a
// `base_model` of this registry. A refused commit leaves no row and no blob of its own; LFS objects
// it named stay until cleanup (an hour unreferenced), so a corrected commit need not send them again.
import { link, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadInputError, ConflictError } from '../errors.js';
import { RELATION_OF_METHOD } from '../pruning/methods/index.js';
import { cardParents } from './cardLineage.js';
import { checkCheckpointFolder, checkpointFields } from './checkFolder.js';
import type { RegistryDeps } from './deps.js';
import type { CommitBody } from './hubCommitBody.js';
import { EntryNotFoundError, RepoNotFoundError, RevisionNotFoundError } from './hubRepo.js';
import { findByName, findModel, type ModelRow, removeUnreferencedBlobs } from './models.js';
import { formatModelName, parseModelName } from './names.js';
import { mapPrismaError } from './prismaErrors.js';
import { createRevision, findRevision, MAIN_REVISIONS } from './revisions.js';

/** Bonsai decides which files are LFS files itself (hubRepo.ts isLfs); a client's .gitattributes is not kept. */
const IGNORED = new Set(['.gitattributes']);

export interface CommitResult {
  model: ModelRow;
  sha: string;
}

type Entry = { sha256: string; size: number; staged?: string };

/**
 * No path of the resulting tree may be both a file and a folder (`config.json` and
 * `config.json/x`, or `a` and `a/b` in one commit): a git tree cannot hold both, and the checkout
 * below would fail at mkdir (EEXIST). One pass over each path's folders.
 */
function checkFileOrFolder(paths: Iterable<string>): void {
  const all = new Set(paths);
  for (const path of all) {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const folder = path.slice(0, i);
      if (all.has(folder))
        throw new BadInputError('files', `${path}: ${folder} is a file of the repository, so it cannot also be a folder`, {
          path,
        });
    }
  }
}

export async function commitToRepo(deps: RegistryDeps, input: { repo: string; revision: string; body: CommitBody }): Promise<CommitResult> {
  const { prisma, store } = deps;
  const { repo, body } = input;
  const model = await findByName(deps, parseModelName(repo, 'repo'));
  if (!model) throw new RepoNotFoundError(repo);
  const name = formatModelName(model);
  // One branch, as Bonsai keeps one line of history.
  if (!MAIN_REVISIONS.has(input.revision)) throw new RevisionNotFoundError(name, input.revision);
  if (await prisma.job.count({ where: { modelId: model.id, status: { in: ['QUEUED', 'RUNNING'] } } }))
    throw new ConflictError(`a job is queued or running on ${name}; commit when it has finished`);
  // A model spawned by a prune whose job failed or was cancelled has no artifact yet, but its
  // lineage edge and recipe say what its files will be: a commit would make it READY with other
  // weights (a BASE model with a DEPTH_PRUNED edge). It waits for its job.
  if (
    !model.artifactId &&
    (await prisma.lineageEdge.count({ where: { childId: model.id, relation: { in: Object.values(RELATION_OF_METHOD) } } }))
  )
    throw new ConflictError(
      `${name} is waiting for its prune job (spawnPrunedVariant) and takes no upload: retry the job (retryJob) or delete the model and create a repository`,
    );
  const current = await findRevision(deps, model, 'main');
  if (body.header.parentCommit && body.header.parentCommit !== current?.sha)
    throw new ConflictError(`parentCommit ${body.header.parentCommit} is not the head of ${name} (${current?.sha ?? 'no commit yet'})`, {
      field: 'parentCommit',
    });

  const files = new Map<string, Entry>();
  const stored = model.artifactId ? await prisma.artifactFile.findMany({ where: { artifactId: model.artifactId } }) : [];
  for (const f of stored) files.set(f.path, { sha256: f.sha256, size: Number(f.size) });
  for (const d of body.deleted) {
    const below = [...files.keys()].filter((p) => (d.folder ? p.startsWith(`${d.path}/`) : p === d.path));
    if (!below.length) throw new EntryNotFoundError(name, d.path);
    for (const p of below) files.delete(p);
  }
  for (const f of body.lfsFiles) {
    if (IGNORED.has(f.path)) continue;
    const size = await store.blobSize(f.oid);
    if (size === null)
      throw new BadInputError('lfsFile', `${f.path}: LFS object ${f.oid} was not uploaded (POST …/info/lfs/objects/batch first)`);
    if (f.size !== null && f.size !== size)
      throw new BadInputError('lfsFile', `${f.path}: size ${f.size} but the object ${f.oid} has ${size} bytes`);
    // Its age restarts, so cleanup (unreferenced blobs an hour old) does not take it meanwhile.
    await store.touchBlob(f.oid);
    files.set(f.path, { sha256: f.oid, size });
  }
  for (const f of body.files) if (!IGNORED.has(f.path)) files.set(f.path, { sha256: f.sha256, size: f.size, staged: f.staged });
  if (files.size === 0) throw new BadInputError('files', 'a commit may not leave the repository empty');
  checkFileOrFolder(files.keys());

  const dir = await store.tempDir('commit');
  let created: string[] = [];
  try {
    for (const [path, f] of files) {
      const target = join(dir, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      if (f.staged) await link(f.staged, target);
      else await store.checkoutFile(f.sha256, target);
    }
    const { selection, report } = await checkCheckpointFolder(dir, [dir], 'files', { hideDir: true });
    const kept = new Set(selection.files.map((f) => f.name));
    for (const s of selection.skipped) {
      const skippedPath = s.name.replace(/\/$/, '');
      if ([...files.keys()].some((p) => p === skippedPath || p.startsWith(`${skippedPath}/`)))
        throw new BadInputError('files', `${s.name}: ${s.reason}; Bonsai keeps the files of a checkpoint only`);
    }
    for (const p of files.keys()) if (!kept.has(p)) throw new BadInputError('files', `${p}: not a file of a Hugging Face checkpoint`);
    const lineage = !model.artifactId && files.has('README.md') ? await cardParents(join(dir, 'README.md')) : null;
    const parents = await Promise.all((lineage?.parents ?? []).map((p) => findModel(deps, p, 'README.md base_model')));
    if (parents.some((p) => p.id === model.id)) throw new BadInputError('README.md', 'base_model names the model itself');

    // The inline files become blobs (renamed: the checkout's links stay valid).
    for (const [, f] of files) if (f.staged && (await store.adopt(f.staged, f.sha256))) created.push(f.sha256);
    const message = body.header.summary || 'Upload files';
    const result = await prisma.$transaction(async (tx) => {
      // Two commits at once: the second to lock the row sees the first's artifact and is refused,
      // as a push that is not a fast-forward.
      const [locked] = await tx.$queryRaw<Array<{ artifactId: string | null }>>`
        SELECT "artifactId"::text AS "artifactId" FROM "Model" WHERE id = ${model.id}::uuid FOR UPDATE`;
      if (!locked) throw new RepoNotFoundError(name);
      if (locked.artifactId !== model.artifactId) throw new ConflictError(`another commit to ${name} landed first; pull and try again`);
      const artifact = await tx.artifact.create({ data: { totalBytes: BigInt([...files.values()].reduce((a, f) => a + f.size, 0)) } });
      await tx.artifactFile.createMany({
        data: [...files].map(([path, f]) => ({ artifactId: artifact.id, path, sha256: f.sha256, size: BigInt(f.size) })),
      });
      const updated = await tx.model.update({
        where: { id: model.id },
        data: {
          ...(model.artifactId ? {} : { kind: parents.length ? 'DERIVED' : 'BASE' }),
          ...checkpointFields(report),
          artifactId: artifact.id,
        },
      });
      for (const [i, p] of parents.entries()) {
        const parentRevision = (await findRevision({ prisma: tx as unknown as RegistryDeps['prisma'] }, p, 'main'))?.sha ?? null;
        await tx.lineageEdge.create({
          data: {
            parentId: p.id,
            childId: model.id,
            relation: lineage!.relation,
            recipe: { method: 'external' },
            position: i,
            parentRevision,
          },
        });
      }
      const revision = await createRevision(tx, { modelId: model.id, artifactId: artifact.id, message, source: 'upload' });
      return { model: updated, sha: revision.sha };
    });
    created = [];
    if (selection.skipped.length) deps.log.info(`commit ${name}: ${selection.skipped.length} file(s) not kept`);
    return result;
  } catch (err) {
    throw mapPrismaError(err, `repo: ${name}`, 'repo');
  } finally {
    if (created.length) await removeUnreferencedBlobs(deps, created);
    await store.removeTemp(dir);
  }
}
