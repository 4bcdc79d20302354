// The catalog's GraphQL documents are typed from the committed SDL (graphql/schema.graphql) by
// gql.tada (https://gql-tada.0no.co): `npm run generate` writes its introspection to
// web/src/generated/graphql-env.d.ts, and every `graphql(…)` document knows its result and
// variables from it, enums included — nothing of the schema is copied into the web by hand.
import { initGraphQLTada } from 'gql.tada';
import type { introspection, introspection_types } from './generated/graphql-env';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Fragments are shared field lists here, not component boundaries: their fields read directly.
  disableMasking: true;
  // How the API's scalars travel in JSON (graphql/types/scalars.ts): 64-bit integers as decimal strings.
  scalars: { BigInt: string; DateTime: string; JSON: Record<string, unknown> };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';

/** The members of one of the schema's enums, e.g. `EnumOf<'Relation'>`. */
export type EnumOf<N extends keyof introspection_types> = introspection_types[N] extends { enumValues: infer V } ? V : never;

/**
 * Every member of an enum, in the order of `labels`, which must name each member (tsc fails when
 * the SDL gains one the catalog does not show).
 */
export function enumMembers<E extends string>(labels: Record<E, string>): E[] {
  return Object.keys(labels) as E[];
}

/** What a quality comparison needs of a model (web/src/quality.ts): its tokenizer's hash and its results. */
export const MeasuredFields = graphql(
  `fragment Measured on Model { files { path sha256 } evaluations { task metric value dataset settings } }`,
);
