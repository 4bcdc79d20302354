// The model page's data: one query for the header and every tab but the card, the hardware and the jobs.
import { graphql, MeasuredFields, type ResultOf } from '../../graphql';

export const MODEL_QUERY = graphql(
  `query ModelPage($n: String!) { model(name: $n) {
  name status description tags license architecture parameterCount byteSize ownBytes sharedBytes dtype authorCard
  files { path sha256 size }
  revision revisions { sha message source createdAt }
  onnx { files { path size url } }
  evaluations { task metric value dataset settings }
  parents { relation method parent { name ...Measured } }
  children { relation method child { name parameterCount status } }
} }`,
  [MeasuredFields],
);

export type ModelData = NonNullable<ResultOf<typeof MODEL_QUERY>['model']>;

export const CARD_QUERY = graphql('query ModelCard($n: String!) { model(name: $n) { card { markdown } } }');
