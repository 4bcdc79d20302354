// ONNX exports: `exportOnnx` queues the job; `Model.onnx` lists the files once they exist, each
// with the URL the server serves it from (GET /models/OWNER/NAME/onnx/FILE).
import { extendType, nonNull, objectType, stringArg } from 'nexus';
import { onnxExportOf, requestOnnxExport } from '../../src/registry/onnxExports.js';
import { requireRole } from '../auth.js';
import { modelRef } from '../globalId.js';

export const OnnxFile = objectType({
  name: 'OnnxFile',
  definition(t) {
    t.nonNull.string('path');
    t.nonNull.bigint('size');
    t.nonNull.string('url', { description: 'Path on this server to download the file from.' });
  },
});

export const OnnxExport = objectType({
  name: 'OnnxExport',
  description: 'The FP32 ONNX graph of the checkpoint (opset 20), weights as external data beside it.',
  definition(t) {
    t.nonNull.string('key', { description: 'sha256 of the export version and of the checkpoint files it was made from.' });
    t.nonNull.list.nonNull.field('files', { type: 'OnnxFile' });
  },
});

export const ModelOnnx = extendType({
  type: 'Model',
  definition(t) {
    t.field('onnx', {
      type: 'OnnxExport',
      description: 'The exported ONNX graph, once an `exportOnnx` job (or an evaluation) has made it.',
      resolve: async (m, _a, ctx) => {
        if (!m.artifactId) return null;
        const e = await onnxExportOf(ctx.services.registry, await ctx.loaders.files.load(m.artifactId));
        if (!e) return null;
        // The Hub's path, where transformers.js looks for onnx/model.onnx.
        const base = `/${encodeURIComponent(m.owner)}/${encodeURIComponent(m.name)}/resolve/main/onnx`;
        return { key: e.key, files: e.files.map((f) => ({ path: f.path, size: BigInt(f.size), url: `${base}/${f.path}` })) };
      },
    });
  },
});

export const OnnxMutations = extendType({
  type: 'Mutation',
  definition(t) {
    t.nonNull.field('exportOnnx', {
      type: 'Job',
      description: 'Queues the ONNX export of a READY model (MAINTAINER); the files appear on `Model.onnx`.',
      args: { model: nonNull(stringArg()) },
      resolve: async (_r, { model }, ctx) => {
        const viewer = requireRole(ctx, 'MAINTAINER');
        return requestOnnxExport(ctx.services.registry, modelRef(model), viewer.tokenId);
      },
    });
  },
});
