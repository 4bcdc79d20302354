// GET /api/models/{owner}/{name} and /api/models/{owner}/{name}/revision/{revision}: a model as the
// Hub's model-info endpoint gives it (huggingface_hub's HfApi.model_info → ModelInfo, huggingface.js's
// ApiModelInfo): id, sha, siblings with rfilename, size, blobId and lfs, cardData from the card's
// YAML (base_model, base_model_relation …), tags, config, safetensors parameters, dates, private.

import type { Services } from '../../registry/access.js';
import { repoRevision } from '../../registry/hubRepo.js';
import type { ModelRow } from '../../registry/models.js';
import { formatModelName } from '../../registry/names.js';
import { readableRoute } from '../cardRoute.js';
import { fileOid } from './entries.js';
import { lfsPointer } from './oid.js';

/** What the Hub lists for every model (also in /api/models). */
export function modelSummary(model: ModelRow, services: Services) {
  const id = formatModelName(model);
  const config = (model.config ?? {}) as Record<string, unknown>;
  return {
    _id: model.id,
    id,
    modelId: id,
    author: model.owner,
    private: !services.publicReads,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: ['transformers', 'safetensors', ...(typeof config.model_type === 'string' ? [config.model_type] : []), ...model.tags],
    library_name: 'transformers',
    createdAt: model.createdAt.toISOString(),
    lastModified: model.updatedAt.toISOString(),
  };
}

export function modelInfoRoute(services: Services) {
  return readableRoute<{ owner: string; name: string; revision?: string }>(services, async (req, res) => {
    const { model, sha, files, cardData } = await repoRevision(
      services.registry,
      `${req.params.owner}/${req.params.name}`,
      req.params.revision ?? 'main',
    );
    const config = (model.config ?? {}) as Record<string, unknown>;
    const siblings = await Promise.all(
      files.map(async (f) => ({
        rfilename: f.path,
        size: f.size,
        blobId: await fileOid(services.registry.store, f),
        ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: Buffer.byteLength(lfsPointer(f.sha256, f.size)) } } : {}),
      })),
    );
    res.json({
      ...modelSummary(model, services),
      sha,
      pipeline_tag: cardData?.pipeline_tag,
      cardData: cardData ?? undefined,
      config: { architectures: config.architectures, model_type: config.model_type },
      ...(model.parameterCount !== null && model.dtype
        ? {
            safetensors: { parameters: { [model.dtype.toUpperCase()]: Number(model.parameterCount) }, total: Number(model.parameterCount) },
          }
        : {}),
      siblings,
      usedStorage: files.reduce((a, f) => a + f.size, 0),
    });
  });
}
