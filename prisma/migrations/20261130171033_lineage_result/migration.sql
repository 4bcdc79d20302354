-- AlterTable
ALTER TABLE "LineageEdge" ADD COLUMN     "result" JSONB;
