// registerModel: a checkpoint folder from an allowed root (or an `hf://` reference into the local
// Hugging Face cache) becomes a model. The folder is checked by the core (architecture, tensors
// against config), the files of the checkpoint (src/formats/checkpoint/files.ts; links stored as
// the content they point to, under their own names) are hashed into the artifact store, and the
// rows are written in one transaction; if anything fails, the blobs this call added are removed
// again, so a failed import leaves neither a row nor a file. Other files are listed as skipped.
import { basename } from 'node:path';
import type { Relation } from '../db/generated/enums.js';
import { BadInputError } from '../errors.js';
import type { SkippedFile } from '../formats/checkpoint/files.js';
import { checkCheckpointFolder, checkpointFields } from './checkFolder.js';
import { dataNameUnder, realRoots } from './dataNames.js';
import type { RegistryDeps } from './deps.js';
import { MAX_PARENTS } from './externalRecipe.js';
import { isHfReference, parseHfReference, resolveHfReference } from './hfCache.js';
import { resolveImportPath } from './importPath.js';
import { checkDescription, checkLicense, checkNameFree, checkTags, findModel, type ModelRow, removeUnreferencedBlobs } from './models.js';
import { parseModelName } from './names.js';
import { mapPrismaError } from './prismaErrors.js';
import { createRevision } from './revisions.js';

export interface ParentRef {
  /** Id or owner/name. */
  model: string;
  relation: Relation;
}

export interface RegisterInput {
  path: string;
  name: string;
  license?: string | null;
  description?: string | null;
  tags?: readonly string[] | null;
  /** For a derivative made elsewhere (fine-tuned, quantized, merged…): its parent(s). */
  parents?: readonly ParentRef[] | null;
  /** How it was made, stored on the lineage edges. */
  recipe?: Record<string, unknown> | null;
}

export interface Registered {
  model: ModelRow;
  /** The folder read (an hf:// reference's snapshot). */
  source: string;
  /** Files of the folder that are not part of the checkpoint, with the reason. */
  skipped: SkippedFile[];
}

export async function registerModel(deps: RegistryDeps, input: RegisterInput): Promise<Registered> {
  const { prisma, store } = deps;
  const { owner, name } = parseModelName(input.name);
  // Bounded before any file is read.
  if ((input.parents?.length ?? 0) > MAX_PARENTS) throw new BadInputError('parents', `at most ${MAX_PARENTS} parents`);
  const tags = checkTags(input.tags ?? []);
  const license = input.license ? checkLicense(input.license) : null;
  let path = input.path;
  if (isHfReference(path)) {
    if (!deps.hubCache) throw new BadInputError('path', 'hf:// references need a Hugging Face cache (HF_HOME or HF_HUB_CACHE)');
    path = await resolveHfReference(path, deps.hubCache, deps.modelRoots);
  }
  // Where the files came from, as anyone may see it: the Hub id and the commit resolved (the
  // snapshot folder is named by it), or the folder's name under its import root.
  const hfSource = isHfReference(input.path) ? `hf://${parseHfReference(input.path).repoId}@${basename(path)}` : null;
  const roots = deps.modelRoots;
  const dir = await resolveImportPath(path, roots);
  const description = checkDescription(input.description);
  await checkNameFree(deps, { owner, name });
  const parents = await Promise.all((input.parents ?? []).map((p, i) => findModel(deps, p.model, `parents[${i}].model`)));
  if (new Set(parents.map((p) => p.id)).size !== parents.length) throw new BadInputError('parents', 'lists the same parent twice');

  // Every file is read with the roots (src/formats/regularFile.ts): a link out of them at any depth
  // is FORBIDDEN, whether or not its target exists, and passed on as it is. The same checks as an
  // upload commit's (src/registry/checkFolder.ts).
  const { selection, report } = await checkCheckpointFolder(dir, roots, 'path');

  const ingest = await store.importFolder(
    dir,
    selection.files.map((f) => f.name),
    { roots },
  );
  try {
    const model = await prisma.$transaction(async (tx) => {
      const artifact = await tx.artifact.create({ data: { totalBytes: BigInt(ingest.files.reduce((a, f) => a + f.size, 0)) } });
      await tx.artifactFile.createMany({
        data: ingest.files.map((f) => ({ artifactId: artifact.id, path: f.path, sha256: f.sha256, size: BigInt(f.size) })),
      });
      const model = await tx.model.create({
        data: {
          owner,
          name,
          kind: parents.length ? 'DERIVED' : 'BASE',
          ...checkpointFields(report),
          license,
          description,
          tags,
          artifactId: artifact.id,
        },
      });
      if (parents.length) {
        await tx.lineageEdge.createMany({
          data: parents.map((p, i) => ({
            parentId: p.id,
            childId: model.id,
            relation: input.parents![i]!.relation,
            recipe: (input.recipe ?? { method: 'external' }) as object,
            position: i,
          })),
        });
      }
      const source = hfSource ?? dataNameUnder(dir, await realRoots(roots));
      await createRevision(tx, { modelId: model.id, artifactId: artifact.id, message: `Register ${source}`, source });
      return model;
    });
    for (const f of selection.skipped) deps.log.info(`register ${owner}/${name}: skipped ${f.name}: ${f.reason}`);
    return { model, source: dir, skipped: selection.skipped };
  } catch (err) {
    await removeUnreferencedBlobs(deps, ingest.created);
    throw mapPrismaError(err, `name: a model named ${owner}/${name}`, 'name');
  }
}
