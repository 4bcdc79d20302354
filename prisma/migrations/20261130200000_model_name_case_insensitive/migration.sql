-- Model names are unique ignoring case, as on the Hub: `Bible/Tiny-Llama-KJV` and
-- `bible/tiny-llama-kjv` are one name. Prisma's schema language cannot state an index on
-- expressions, so it lives here only (Prisma's diff does not see expression indexes, and the
-- drift check in test/db/migrations.test.ts stays quiet about it).
-- Registries that already hold names differing only in case keep the oldest as is and rename
-- the others with a suffix, so the index can be built.
UPDATE "Model" AS m
SET "name" = m."name" || '-' || substr(m."id"::text, 1, 8)
WHERE EXISTS (
  SELECT 1 FROM "Model" AS o
  WHERE lower(o."owner") = lower(m."owner") AND lower(o."name") = lower(m."name")
    AND (o."createdAt", o."id") < (m."createdAt", m."id")
);

CREATE UNIQUE INDEX "Model_owner_name_lower_key" ON "Model" (lower("owner"), lower("name"));
