// A model's revisions (src/registry/revisions.ts): the Hub's commits, newest first, each with the
// files it holds. `Model.revision` is the current one's sha; `Model.files(revision:)` reads another
// (graphql/types/Model.ts).
import { extendType, objectType } from 'nexus';
import { findRevision, listRevisions } from '../../src/registry/revisions.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const Revision = objectType({
  name: 'Revision',
  sourceType: { ...sources, export: 'RevisionSource' },
  description: 'An immutable state of a model’s files (a registration, an upload commit, a prune result), as a Hub commit.',
  definition(t) {
    t.nonNull.string('sha', { description: '40 hex digits; `/OWNER/NAME/resolve/SHA/FILE` downloads its files.' });
    t.nonNull.string('message');
    t.string('source', { description: 'Where the files came from: hf://ORG/NAME@COMMIT, a folder under an import root, a parent@sha.' });
    t.nonNull.dateTime('createdAt');
    t.nonNull.list.nonNull.field('files', {
      type: 'ModelFile',
      resolve: (r, _a, ctx) => ctx.loaders.files.load(r.artifactId),
    });
  },
});

export const ModelRevisionFields = extendType({
  type: 'Model',
  definition(t) {
    t.string('revision', {
      description: 'The sha of the current revision (`main`); null before the model has files.',
      resolve: async (m, _a, ctx) => (await findRevision(ctx.services.registry, m, 'main'))?.sha ?? null,
    });
    t.nonNull.list.nonNull.field('revisions', {
      type: 'Revision',
      description: 'Every revision, newest first.',
      resolve: (m, _a, ctx) => listRevisions(ctx.services.registry, m.id),
    });
  },
});
