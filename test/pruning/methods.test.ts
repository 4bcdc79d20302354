// The method list is the one place a pruning method is registered (src/pruning/methods/index.ts):
// every recipe schema has exactly one method module, in the schemas' order, and each module's
// lineage relation is one the database can store (Prisma's Relation enum, the schema of record).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHODS, methodNamed } from '../../src/pruning/methods/index.js';
import { RECIPE_METHODS } from '../../src/recipes/fields.js';

const prisma = readFileSync(join(import.meta.dirname, '..', '..', 'prisma', 'schema.prisma'), 'utf8');
const relations = /enum Relation \{([^}]*)\}/.exec(prisma)![1]!.split(/\s+/).filter(Boolean);

describe('the pruning method list', () => {
  it('has one module per recipe schema, in the same order', () => {
    expect(METHODS.map((m) => m.method)).toEqual(RECIPE_METHODS.map((m) => m.method));
  });

  it('gives each method a distinct relation the database stores', () => {
    for (const m of METHODS) expect(relations).toContain(m.relation);
    expect(new Set(METHODS.map((m) => m.relation)).size).toBe(METHODS.length);
  });

  it('knows no method a lineage row may name from elsewhere', () => {
    expect(methodNamed('quantize')).toBeUndefined();
    expect(methodNamed(undefined)).toBeUndefined();
  });
});
