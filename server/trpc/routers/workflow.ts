/** Workflows: list, open, create, save (new immutable version), versions, delete, import, examples. */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { FORMAT_VERSION, parseWorkflow, type Workflow } from "../../graph/format";
import { badRequest, editorProcedure, guard, notFound, ProblemsError, router, viewerProcedure } from "../trpc";

const workflowId = z.string().min(1).max(200);

/** Parse a workflow document, or throw BAD_REQUEST listing the problems in words. */
function parseOrThrow(doc: unknown): Workflow {
  const r = parseWorkflow(doc);
  if (r.ok) return r.workflow;
  const msg = `This is not a valid Lattice workflow: ${r.problems.slice(0, 3).join("; ")}${r.problems.length > 3 ? ` (and ${r.problems.length - 3} more)` : ""}.`;
  throw badRequest(msg, new ProblemsError(msg, r.problems));
}

function emptyWorkflow(name: string): Workflow {
  return { formatVersion: FORMAT_VERSION, name, nodes: [], edges: [] };
}

export interface ExampleSummary {
  file: string;
  name: string;
  description?: string;
  nodes: number;
}

async function readExample(dir: string, file: string): Promise<Workflow> {
  if (!/^[\w.-]+\.workflow\.json$/.test(file)) throw badRequest(`"${file}" is not an example name.`);
  let text: string;
  try {
    text = await readFile(path.join(dir, file), "utf8");
  } catch {
    throw notFound(`Example "${file}"`);
  }
  return parseOrThrow(JSON.parse(text));
}

export const workflowRouter = router({
  list: viewerProcedure.query(({ ctx }) => guard(() => ctx.services.db.workflows.list())),

  get: viewerProcedure.input(z.object({ id: workflowId, version: z.number().int().min(1).optional() })).query(async ({ ctx, input }) => {
    const wf = await guard(() => ctx.services.db.workflows.get(input.id, input.version));
    if (!wf) throw notFound(input.version ? `Version ${input.version} of this workflow` : "This workflow");
    return wf;
  }),

  create: editorProcedure
    .input(z.object({ name: z.string().trim().min(1).max(200).default("Untitled workflow"), graph: z.unknown().optional() }))
    .mutation(({ ctx, input }) => {
      const graph = input.graph === undefined ? emptyWorkflow(input.name) : { ...parseOrThrow(input.graph), name: input.name };
      return guard(() => ctx.services.db.workflows.create(graph, "Created"));
    }),

  save: editorProcedure
    .input(z.object({ id: workflowId, graph: z.unknown(), message: z.string().max(500).optional() }))
    .mutation(async ({ ctx, input }) => {
      const graph = parseOrThrow(input.graph);
      if (!graph.name.trim()) throw badRequest("Give the workflow a name before saving.");
      const existing = await guard(() => ctx.services.db.workflows.get(input.id));
      if (!existing) throw notFound("This workflow");
      return guard(() => ctx.services.db.workflows.save(input.id, graph, input.message));
    }),

  versions: viewerProcedure.input(z.object({ id: workflowId })).query(({ ctx, input }) => guard(() => ctx.services.db.workflows.versions(input.id))),

  delete: editorProcedure.input(z.object({ id: workflowId })).mutation(async ({ ctx, input }) => {
    const existing = await guard(() => ctx.services.db.workflows.get(input.id));
    if (!existing) throw notFound("This workflow");
    await guard(() => ctx.services.db.workflows.delete(input.id));
    return { id: input.id };
  }),

  /** Create a workflow from an exported Workflow JSON file's text. */
  import: editorProcedure.input(z.object({ text: z.string().max(20_000_000) })).mutation(({ ctx, input }) => {
    let doc: unknown;
    try {
      doc = JSON.parse(input.text);
    } catch (e) {
      throw badRequest(`This file is not valid JSON (${e instanceof Error ? e.message : String(e)}). Export a workflow from Lattice and import that file.`);
    }
    const graph = parseOrThrow(doc);
    return guard(() => ctx.services.db.workflows.create(graph, "Imported"));
  }),

  /** `*.workflow.json` files of the examples folder. */
  examples: viewerProcedure.query(async ({ ctx }): Promise<ExampleSummary[]> => {
    const dir = ctx.examplesDir;
    if (!dir) return [];
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith(".workflow.json")).sort();
    } catch {
      return [];
    }
    const out: ExampleSummary[] = [];
    for (const file of files) {
      try {
        const wf = parseWorkflow(JSON.parse(await readFile(path.join(dir, file), "utf8")));
        if (wf.ok) out.push({ file, name: wf.workflow.name, description: wf.workflow.description, nodes: wf.workflow.nodes.length });
      } catch {
        // A broken example is skipped rather than breaking the start page.
      }
    }
    return out;
  }),

  createFromExample: editorProcedure.input(z.object({ file: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
    if (!ctx.examplesDir) throw notFound(`Example "${input.file}"`);
    const graph = await readExample(ctx.examplesDir, input.file);
    return guard(() => ctx.services.db.workflows.create(graph, `From example ${input.file}`));
  }),
});
