// Fields that read files or render on the server (a model's tensor headers, its card, its author's
// README) are priced in the static cost (graphql/limits.ts), which multiplies a list's children by
// its `first`. A tree, descendant or ancestor list has no `first`, and its size is known only once
// it runs, so `modelTree(depth: 64) { nodes { model { tensors } } }` cost 207 and read the headers of
// every model in the tree. Each resolution also spends its price here, against the same limit for
// the whole request; past it the field fails with the reason and the rest of the answer stands.
import { GraphQLError } from 'graphql';
import type { Context } from './context.js';
import { LIMITS } from './limits.js';

const spent = new WeakMap<Context, number>();

export function spendPriced(ctx: Context, field: string, price: number): void {
  const total = (spent.get(ctx) ?? 0) + price;
  spent.set(ctx, total);
  if (total > LIMITS.cost)
    throw new GraphQLError(
      `${field} costs ${price} per model and this request has spent its limit of ${LIMITS.cost} on such fields (a tree, descendant or ancestor list is priced as it runs): ask for ${field} on fewer models`,
      { extensions: { code: 'BAD_USER_INPUT', field, price, limit: LIMITS.cost } },
    );
}
