// Model.authorCard: the README.md the model was registered with (src/registry/authorCard.ts).
import { extendType } from 'nexus';
import { authorCard } from '../../src/registry/authorCard.js';

export const AuthorCardField = extendType({
  type: 'Model',
  definition(t) {
    t.string('authorCard', {
      description:
        'The README.md the checkpoint came with (its author’s card, with its front matter), as stored; null when it had none. The Hub routes serve Bonsai’s rendered card as README.md instead.',
      // A stored file read per model (up to 512 kB): priced so a list cannot ask for hundreds at once.
      extensions: { complexity: ({ childComplexity }: { childComplexity: number }) => 100 + childComplexity },
      resolve: (m, _a, ctx) => authorCard(ctx.services.registry, m.artifactId),
    });
  },
});
