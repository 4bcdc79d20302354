import { objectType } from 'nexus';
import { toGlobalId } from '../globalId.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const Evaluation = objectType({
  name: 'Evaluation',
  sourceType: { ...sources, export: 'EvaluationSource' },
  description: 'One metric of one task, with the settings it was measured under (compare only like with like).',
  definition(t) {
    t.implements('Node');
    t.nonNull.id('id', { resolve: (e) => toGlobalId('Evaluation', e.id) });
    t.nonNull.string('task', { description: 'perplexity, lambada, multiple-choice, speed, embedding-similarity.' });
    t.nonNull.string('metric', { description: 'lm-evaluation-harness names: perplexity, acc, acc_norm, tokens_per_second…' });
    t.nonNull.float('value');
    t.float('stderr');
    t.string('dataset');
    t.string('datasetSha256', { resolve: (e) => e.datasetHash });
    t.nonNull.json('settings');
    t.nonNull.dateTime('createdAt');
    t.field('model', { type: 'Model', resolve: (e, _a, ctx) => ctx.loaders.model.load(e.modelId) });
  },
});
