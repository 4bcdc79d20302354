// `bonsai token revoke` takes the id the API shows (the global id, `ApiToken:…` in base64, as the
// `tokens` query and `createApiToken` return it) or the database id `bonsai token list` prints;
// anything else is a clean BAD_USER_INPUT naming the id, never a Prisma stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/registry/globalIds.js';
import { createToken, revokeToken } from '../../src/registry/tokens.js';
import { runBonsai } from '../helpers/bonsai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function revoke(id: string) {
  const p = runBonsai(['token', 'revoke', id], { DATABASE_URL: db.url });
  const { code } = await p.exited;
  return { code, output: p.output() };
}

const revokedAt = async (id: string) => (await db.prisma.apiToken.findUniqueOrThrow({ where: { id } })).revokedAt;

describe('bonsai token revoke', () => {
  // One run through the CLI for each answer (each run takes seconds: migrations are checked on
  // start); the other spellings of an id go to the same registry function directly.
  it('revokes a token named by the global id the API shows (standard base64, padded)', async () => {
    const { id } = await createToken(db, { name: 'ci', role: 'READER' });
    const r = await revoke(Buffer.from(`ApiToken:${id}`).toString('base64'));
    expect(r.code, r.output).toBe(0);
    expect(await revokedAt(id)).toBeInstanceOf(Date);
  }, 30_000);

  it.each([
    ['the global id (base64url)', (id: string) => toGlobalId('ApiToken', id)],
    ['the database id', (id: string) => id],
  ])('revokeToken takes %s', async (_what, name) => {
    const { id } = await createToken(db, { name: 'ci', role: 'READER' });
    await revokeToken(db, name(id));
    expect(await revokedAt(id)).toBeInstanceOf(Date);
  });

  it.each([
    ['not an id', 'not-an-id', /bonsai: id: "not-an-id" is not an id from this API/],
    [
      'the id of a model',
      toGlobalId('Model', '00000000-0000-4000-8000-000000000000'),
      /bonsai: id: is the id of a Model, not of a ApiToken/,
    ],
  ])(
    'refuses %s with BAD_USER_INPUT naming the id, without a stack',
    async (_what, id, message) => {
      const r = await revoke(id);
      expect(r.code).toBe(2);
      expect(r.output).toMatch(message);
      expect(r.output).not.toMatch(/Prisma|\n\s+at /);
      await expect(revokeToken(db, id)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'id' } });
    },
    30_000,
  );
});
