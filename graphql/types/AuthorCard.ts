// Model.authorCard: the README.md the model was registered with (src/registry/authorCard.ts).
import { extendType } from 'nexus';
import { authorCard } from '../../src/registry/authorCard.js';
import { spendPriced } from '../pricedFields.js';

const AUTHOR_CARD_COST = 100;

export const AuthorCardField = extendType({
  type: 'Model',
  definition(t) {
    t.string('authorCard', {
      description:
        'The README.md the checkpoint came with (its author’s card, with its front matter), as stored; null when it had none. The Hub routes serve Bonsai’s rendered card as README.md instead.',
      // A stored file read per model (up to 512 kB): priced so a list cannot ask for hundreds at once.
      extensions: { complexity: ({ childComplexity }: { childComplexity: number }) => AUTHOR_CARD_COST + childComplexity },
      resolve: (m, _a, ctx) => {
        spendPriced(ctx, 'Model.authorCard', AUTHOR_CARD_COST);
        return authorCard(ctx.services.registry, m.artifactId);
      },
    });
  },
});
