-- AlterTable
ALTER TABLE "LineageEdge" ADD COLUMN     "parentRevision" CHAR(40);

-- CreateTable
CREATE TABLE "Revision" (
    "id" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "sha" CHAR(40) NOT NULL,
    "artifactId" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "source" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Revision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Revision_modelId_createdAt_idx" ON "Revision"("modelId", "createdAt");

-- CreateIndex
CREATE INDEX "Revision_artifactId_idx" ON "Revision"("artifactId");

-- CreateIndex
CREATE UNIQUE INDEX "Revision_modelId_sha_key" ON "Revision"("modelId", "sha");

-- AddForeignKey
ALTER TABLE "Revision" ADD CONSTRAINT "Revision_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Revision" ADD CONSTRAINT "Revision_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "Artifact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: every model that has files gets one revision, the state it is in now.
INSERT INTO "Revision" ("id", "modelId", "sha", "artifactId", "message", "createdAt")
SELECT gen_random_uuid(), m."id",
       left(encode(sha256(convert_to('bonsai revision ' || m."artifactId"::text, 'UTF8')), 'hex'), 40),
       m."artifactId",
       CASE WHEN m."kind" = 'BASE' THEN 'Registered' ELSE 'Made by Bonsai' END,
       m."updatedAt"
FROM "Model" m
WHERE m."artifactId" IS NOT NULL;
