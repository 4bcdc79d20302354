// The catalog's GraphQL types come from the committed SDL through gql.tada's introspection
// (web/src/generated/graphql-env.d.ts): it must not be stale against graphql/schema.graphql.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

describe('web/src/generated/graphql-env.d.ts', () => {
  it('is what gql.tada makes of the committed schema (run `npm run generate`)', () => {
    const out = join(tempDir('bonsai-tada-'), 'graphql-env.d.ts');
    execFileSync(
      join(repoRoot, 'node_modules', '.bin', 'gql-tada'),
      ['generate', 'output', '--tsconfig', 'web/tsconfig.json', '--output', out],
      {
        cwd: repoRoot,
        stdio: 'ignore',
      },
    );
    expect(readFileSync(join(repoRoot, 'web', 'src', 'generated', 'graphql-env.d.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'));
  }, 120_000);
});
