// What changed against the parent, tensor by tensor (issue 32): the model's safetensors headers
// (name, dtype, shape, bytes, as the Hub's file viewer shows them) with, for a derivative, each
// tensor's mark against its first parent. The store keeps every tensor as its own
// content-addressed piece (src/storage/layout.ts), so "kept byte for byte" and "rewritten" are a
// comparison of two piece hashes: only the headers are read, never a tensor.
import type { db } from '../db/client.js';
import { storedTensors } from '../storage/tensorPieces.js';
import type { RegistryDeps } from './deps.js';
import { recordedNonZero } from './nonZero.js';

export type TensorChange = 'KEPT' | 'SLICED' | 'RENAMED' | 'REWRITTEN' | 'ADDED';

export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  /** Null for a model without a parent, or when a file is stored whole (its tensors' bytes not compared). */
  change: TensorChange | null;
  /** The parent's tensor this one comes from (another name after a depth prune); null when ADDED. */
  parentName: string | null;
  parentShape: number[] | null;
  /** Null when either side is stored whole, so bytes cannot be compared without reading them. */
  parentDtype: string | null;
  /**
   * Elements that are not zero, as the prune that wrote these bytes counted them (sparsity,
   * src/registry/nonZero.ts); null where nothing was counted, or the bytes changed since.
   */
  nonZero: number | null;
}

interface Tensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  piece: string | null;
}

const SAFETENSORS = /\.safetensors$/;
/** A decoder block's tensors: `model.layers.5.mlp.up_proj.weight` and the like in every family Bonsai reads. */
const LAYER = /^(.*?\blayers\.)(\d+)(\..*)$/;

async function tensorsOf(deps: Pick<RegistryDeps, 'prisma' | 'store'>, artifactId: string): Promise<Tensor[]> {
  const files = await deps.prisma.artifactFile.findMany({ where: { artifactId }, orderBy: { path: 'asc' } });
  const out: Tensor[] = [];
  for (const f of files.filter((f) => SAFETENSORS.test(f.path))) {
    for (const t of await storedTensors(deps.store, { sha256: f.sha256, size: Number(f.size), name: f.path })) {
      out.push({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin, piece: t.pieceSha256 });
    }
  }
  return out;
}

function numberList(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? (v as number[]) : null;
}

/**
 * The parent's decoder blocks that a depth prune removed: `removed_layers` where a result carries
 * it (bonsai_recipe.json's), else the edge's recipe: `layers` (a criterion's choice is written back
 * to the edge when the job resolves it, src/registry/jobs/complete.ts recordResolvedRecipe), or
 * the `last` N of `parentLayers`.
 */
export function removedLayers(recipe: db.LineageEdge['recipe'], result: db.LineageEdge['recipe'] | null, parentLayers: number): number[] {
  const r = (result ?? {}) as Record<string, unknown>;
  const p = (recipe ?? {}) as Record<string, unknown>;
  const recorded = numberList(r.removed_layers) ?? numberList(p.layers);
  if (recorded) return recorded;
  const last = typeof p.last === 'number' ? p.last : 0;
  return Array.from({ length: Math.min(last, parentLayers) }, (_, i) => parentLayers - last + i);
}

/** The parent's name of a child tensor: a depth prune renumbers the blocks after each removed one. */
export function parentNameFor(name: string, layerMap: number[] | null): string {
  if (!layerMap) return name;
  const m = LAYER.exec(name);
  if (!m) return name;
  const parentLayer = layerMap[Number(m[2])];
  return parentLayer === undefined ? name : `${m[1]}${parentLayer}${m[3]}`;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function mark(child: Tensor, parent: Tensor | undefined, result: unknown): TensorRow {
  const row = {
    name: child.name,
    dtype: child.dtype,
    shape: child.shape,
    bytes: child.bytes,
    nonZero: recordedNonZero(result, child.name, child.piece, child.dtype),
  };
  if (!parent) return { ...row, change: 'ADDED', parentName: null, parentShape: null, parentDtype: null };
  const from = { parentName: parent.name, parentShape: parent.shape, parentDtype: parent.dtype };
  if (!sameShape(child.shape, parent.shape)) return { ...row, ...from, change: 'SLICED' };
  // A file stored whole (bench:store's baseline) has no piece hashes: the bytes are not compared.
  if (child.piece === null || parent.piece === null) return { ...row, ...from, change: null };
  // Equal piece hashes: the same bytes (sha256), whatever the name. A dtype change is a rewrite.
  const same = child.piece === parent.piece && child.dtype === parent.dtype;
  const change: TensorChange = !same ? 'REWRITTEN' : child.name === parent.name ? 'KEPT' : 'RENAMED';
  return { ...row, ...from, change };
}

/**
 * The tensors of `modelId`'s current files, in file order, marked against its first parent as the
 * lineage edge recorded it (the parent's revision the child was made from, else its current files).
 */
export async function modelTensors(deps: Pick<RegistryDeps, 'prisma' | 'store'>, modelId: string): Promise<TensorRow[]> {
  const model = await deps.prisma.model.findUnique({ where: { id: modelId }, select: { artifactId: true } });
  if (!model?.artifactId) return [];
  const tensors = await tensorsOf(deps, model.artifactId);
  const edge = await deps.prisma.lineageEdge.findFirst({
    where: { childId: modelId },
    orderBy: { position: 'asc' },
    include: { parent: { select: { artifactId: true } } },
  });
  const parentArtifact = edge?.parentRevision
    ? ((await deps.prisma.revision.findFirst({ where: { modelId: edge.parentId, sha: edge.parentRevision }, select: { artifactId: true } }))
        ?.artifactId ?? edge.parent.artifactId)
    : edge?.parent.artifactId;
  if (!edge || !parentArtifact) {
    return tensors.map(({ name, dtype, shape, bytes }) => ({
      name,
      dtype,
      shape,
      bytes,
      change: null,
      parentName: null,
      parentShape: null,
      parentDtype: null,
      nonZero: null,
    }));
  }
  const parentTensors = await tensorsOf(deps, parentArtifact);
  const byName = new Map(parentTensors.map((t) => [t.name, t]));
  let layerMap: number[] | null = null;
  if (edge.relation === 'DEPTH_PRUNED') {
    let parentLayers = 0;
    for (const t of parentTensors) {
      const m = LAYER.exec(t.name);
      if (m) parentLayers = Math.max(parentLayers, Number(m[2]) + 1);
    }
    const removed = new Set(removedLayers(edge.recipe, edge.result, parentLayers));
    layerMap = Array.from({ length: parentLayers }, (_, i) => i).filter((i) => !removed.has(i));
  }
  return tensors.map((t) => mark(t, byName.get(parentNameFor(t.name, layerMap)), edge.result));
}
