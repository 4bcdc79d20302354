// A GraphQL client for benchmarks: POST /graphql with a bearer token, data or the first error thrown.
export function graphqlClient(url: () => string, token: () => string) {
  return async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${url()}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: Array<{ message: string }> };
    if (body.errors) throw new Error(body.errors[0]!.message);
    return body.data;
  };
}
