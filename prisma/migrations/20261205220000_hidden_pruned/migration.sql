-- Issue 30: the lineage relation of hidden-channel pruning (bonsai prune --method hidden).
-- Placed after ATTENTION_PRUNED as in schema.prisma, so that the enum sorts as the schema lists
-- it. (No semicolon in these comments: the schema engine splits the script at every one.)

-- AlterEnum
ALTER TYPE "Relation" ADD VALUE 'HIDDEN_PRUNED' AFTER 'ATTENTION_PRUNED';
