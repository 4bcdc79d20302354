// The one reading of an Authorization header (src/registry/tokens.ts), shared by the GraphQL
// context, the read coalescer and the HTTP routes. Cases from RFC 6750 §2.1 (`Bearer` SP token)
// and RFC 9110 §11.1 (the scheme name is case-insensitive); any other scheme is a mistake to
// report, not an anonymous request.
import { describe, expect, it } from 'vitest';
import { bearerSecret } from '../../src/registry/tokens.js';

describe('bearerSecret', () => {
  it('no header, or an empty one: anonymous (undefined)', () => {
    expect(bearerSecret(undefined)).toBeUndefined();
    expect(bearerSecret(null)).toBeUndefined();
    expect(bearerSecret('')).toBeUndefined();
  });

  it.each([
    ['Bearer hf_bonsai_abc', 'hf_bonsai_abc'],
    ['bearer hf_bonsai_abc', 'hf_bonsai_abc'],
    ['BEARER hf_bonsai_abc', 'hf_bonsai_abc'],
    ['  Bearer   hf_bonsai_abc  ', 'hf_bonsai_abc'],
    ['Bearer\thf_bonsai_abc', 'hf_bonsai_abc'],
  ])('%j carries %s', (header, secret) => {
    expect(bearerSecret(header)).toBe(secret);
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'hf_bonsai_abc', '   '])(
    '%j is not a bearer token (null, refused)',
    (header) => {
      expect(bearerSecret(header)).toBeNull();
    },
  );
});
