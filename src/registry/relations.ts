// Every lineage relation, in the order the database's enum declares them (prisma/schema.prisma is
// the one list: the GraphQL enum and, through the SDL, the catalog derive from it).
import { Relation } from '../db/generated/enums.js';

export const RELATIONS = Object.values(Relation);
