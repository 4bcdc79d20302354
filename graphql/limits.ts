// Query cost: every field costs 1, list fields cost their children times `first` (Model.models,
// jobs), so a client cannot ask for 100 × 100 × 100 nodes in one request.
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema, getVariableValues, type ValidationContext } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { Context } from './context.js';
import { badRequest, inputProblem } from './inputChecks.js';

/**
 * `tokens`: a document's tokens, enough for a depth recipe listing all 4,096 layers as a literal;
 * `validationErrors`: the validation errors reported before validation stops (src/http/server.ts).
 */
export const LIMITS = { depth: 12, aliases: 20, cost: 20_000, tokens: 20_000, validationErrors: 10 };

/** graphql-js's default for execute (`maxCoercionErrors`). */
const MAX_COERCION_ERRORS = 50;

/**
 * graphql-armor throws its rejection out of the validation pass by default, which Apollo reports
 * as an internal error; reported through the context it is an ordinary validation error.
 */
export const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(err)],
};

export function complexityPlugin(schema: GraphQLSchema): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // inputChecksPlugin reports it; coercing a hostile value first would be the work it spares.
          if (inputProblem(request.variables, document)) return;
          // graphql-query-complexity coerces the variables with no bound on the errors it collects:
          // 200,000 invalid enum values in one list held the event loop for 44 s. Coerced first
          // here with graphql-js's own bound for execution (execute's maxCoercionErrors, 50), it
          // only ever sees valid variables.
          const coerced = getVariableValues(schema, operation?.variableDefinitions ?? [], request.variables ?? {}, {
            maxErrors: MAX_COERCION_ERRORS,
          });
          if (coerced.errors?.length) throw badRequest(coerced.errors[0]!.message);
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (err) {
            // Computing the cost coerces the variables first; a value of the wrong type (an unknown
            // enum value, a malformed DateTime) is the client's mistake, as graphql-js reports it.
            if (err instanceof GraphQLError) throw badRequest(err.message);
            throw err;
          }
          if (cost > LIMITS.cost) {
            throw new GraphQLError(`query cost ${cost} is over the limit of ${LIMITS.cost}; ask for fewer items (first) or fewer fields`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, limit: LIMITS.cost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
