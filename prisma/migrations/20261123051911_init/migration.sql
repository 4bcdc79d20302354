-- CreateEnum
CREATE TYPE "ModelKind" AS ENUM ('BASE', 'DERIVED');

-- CreateEnum
CREATE TYPE "ModelStatus" AS ENUM ('QUEUED', 'PROCESSING', 'EVALUATING', 'READY', 'FAILED', 'ARCHIVED');

-- CreateEnum
CREATE TYPE "Relation" AS ENUM ('WIDTH_PRUNED', 'DEPTH_PRUNED', 'VOCAB_TRIMMED', 'SPARSIFIED', 'FINETUNED', 'QUANTIZED', 'MERGED', 'ADAPTER', 'DISTILLED');

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('PRUNE', 'EVALUATE', 'EXPORT_ONNX', 'CARD', 'REGISTER');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TokenRole" AS ENUM ('READ', 'WRITE', 'ADMIN');

-- CreateTable
CREATE TABLE "Model" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ModelKind" NOT NULL,
    "status" "ModelStatus" NOT NULL DEFAULT 'QUEUED',
    "architecture" TEXT,
    "parameterCount" BIGINT,
    "byteSize" BIGINT,
    "dtype" TEXT,
    "config" JSONB,
    "license" TEXT,
    "description" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "artifactId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LineageEdge" (
    "id" UUID NOT NULL,
    "parentId" UUID NOT NULL,
    "childId" UUID NOT NULL,
    "relation" "Relation" NOT NULL,
    "recipe" JSONB NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LineageEdge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" UUID NOT NULL,
    "totalBytes" BIGINT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ArtifactFile" (
    "id" UUID NOT NULL,
    "artifactId" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "size" BIGINT NOT NULL,

    CONSTRAINT "ArtifactFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "kind" "JobKind" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "stage" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "payload" JSONB NOT NULL,
    "error" TEXT,
    "logTail" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "queueJobId" TEXT,
    "modelId" UUID,
    "parentJobId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "heartbeatAt" TIMESTAMPTZ(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "jobId" UUID,
    "task" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "stderr" DOUBLE PRECISION,
    "dataset" TEXT,
    "datasetHash" CHAR(64),
    "settings" JSONB NOT NULL,
    "settingsKey" CHAR(64) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" CHAR(64) NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "TokenRole" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Model_artifactId_key" ON "Model"("artifactId");

-- CreateIndex
CREATE INDEX "Model_status_idx" ON "Model"("status");

-- CreateIndex
CREATE INDEX "Model_architecture_idx" ON "Model"("architecture");

-- CreateIndex
CREATE INDEX "Model_createdAt_idx" ON "Model"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Model_owner_name_key" ON "Model"("owner", "name");

-- CreateIndex
CREATE INDEX "LineageEdge_parentId_relation_idx" ON "LineageEdge"("parentId", "relation");

-- CreateIndex
CREATE INDEX "LineageEdge_childId_idx" ON "LineageEdge"("childId");

-- CreateIndex
CREATE UNIQUE INDEX "LineageEdge_parentId_childId_key" ON "LineageEdge"("parentId", "childId");

-- CreateIndex
CREATE INDEX "ArtifactFile_sha256_idx" ON "ArtifactFile"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "ArtifactFile_artifactId_path_key" ON "ArtifactFile"("artifactId", "path");

-- CreateIndex
CREATE INDEX "Job_modelId_createdAt_idx" ON "Job"("modelId", "createdAt");

-- CreateIndex
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Evaluation_task_metric_idx" ON "Evaluation"("task", "metric");

-- CreateIndex
CREATE UNIQUE INDEX "Evaluation_modelId_task_metric_settingsKey_key" ON "Evaluation"("modelId", "task", "metric", "settingsKey");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- AddForeignKey
ALTER TABLE "Model" ADD CONSTRAINT "Model_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "Artifact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LineageEdge" ADD CONSTRAINT "LineageEdge_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LineageEdge" ADD CONSTRAINT "LineageEdge_childId_fkey" FOREIGN KEY ("childId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArtifactFile" ADD CONSTRAINT "ArtifactFile_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "Artifact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_parentJobId_fkey" FOREIGN KEY ("parentJobId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiToken"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CHECK constraints cannot be written in schema.prisma, and the schema engine leaves them alone.
-- (No semicolons in comments here: the pg adapter splits migration scripts on every semicolon.)
-- A model is never its own parent (cycles longer than one edge are refused by the registry).
ALTER TABLE "LineageEdge" ADD CONSTRAINT "LineageEdge_no_self_edge" CHECK ("parentId" <> "childId");
ALTER TABLE "Job" ADD CONSTRAINT "Job_progress_range" CHECK ("progress" >= 0 AND "progress" <= 1);
ALTER TABLE "Model" ADD CONSTRAINT "Model_sizes_non_negative" CHECK ("parameterCount" >= 0 AND "byteSize" >= 0);
