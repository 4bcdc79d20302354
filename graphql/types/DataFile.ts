// The data files the import roots hold, named relative to their root (src/registry/dataFiles.ts),
// for the catalog's spawn form. Maintainers only: the roots' contents are not for every reader.
import { extendType, objectType } from 'nexus';
import { listDataFiles } from '../../src/registry/dataFiles.js';
import { requireRole } from '../auth.js';

export const DataFile = objectType({
  name: 'DataFile',
  description: 'A text file under an import root, as a recipe or an evaluation may name it.',
  definition(t) {
    t.nonNull.string('name', { description: 'Relative to its import root (`kjv/val.txt`), as spawn and evaluate accept it.' });
    t.nonNull.bigint('size', { description: 'Bytes.' });
  },
});

export const DataFileQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.list.nonNull.field('dataFiles', {
      type: 'DataFile',
      description: 'Text files (.txt, .jsonl) under the import roots, by name (maintainer).',
      resolve: (_r, _a, ctx) => {
        requireRole(ctx, 'MAINTAINER');
        return listDataFiles(ctx.services.registry);
      },
    });
  },
});
