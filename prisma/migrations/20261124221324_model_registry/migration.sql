-- CreateTable
CREATE TABLE "RegisteredModel" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "algorithm" TEXT NOT NULL,
    "task" TEXT,
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "params" JSONB NOT NULL DEFAULT '{}',
    "runId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "workflowId" TEXT,
    "workflowVersionId" TEXT,
    "dataHash" TEXT,
    "modelHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RegisteredModel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RegisteredModel_createdAt_idx" ON "RegisteredModel"("createdAt");

-- CreateIndex
CREATE INDEX "RegisteredModel_workflowId_idx" ON "RegisteredModel"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "RegisteredModel_name_version_key" ON "RegisteredModel"("name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "RegisteredModel_runId_nodeId_key" ON "RegisteredModel"("runId", "nodeId");

