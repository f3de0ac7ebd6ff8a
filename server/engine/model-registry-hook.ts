/**
 * Registers every model a Training node produces, and the refitted best model of a Tuning node. The run service calls {@link registerModelsFromEvent}
 * for each event after it is stored, so the run's rows already hold the upstream outputs (the training
 * table's hash) when a Training node's `succeeded` event arrives. Cached results are not registered again:
 * the entry from the run that trained the model already describes it.
 */
import type { Plan } from "../graph/compile-graph";
import type { Database, RegisteredModelRecord } from "../store/types";
import type { RunEvent } from "./types";

/** The Training node's output port whose value is registered, and the input port whose table it learned from. */
export const MODEL_PORT = "model";
export const TRAIN_PORT = "train";
/** Node categories whose `model` output is a trained model (a Tuning node's is the best candidate, refitted). */
const REGISTERED_CATEGORIES = new Set(["Training", "Tuning"]);

/**
 * The registry entry for `event` when it is a Training node's success with a `model` output; otherwise
 * nothing. Name = the node's label (its title when unlabelled), version = the next one for that name.
 * @throws Error naming the node when the run is not stored or the registry write fails.
 */
export async function registerModelsFromEvent(db: Database, plan: Plan, event: RunEvent): Promise<RegisteredModelRecord | undefined> {
  if (event.type !== "succeeded") return undefined;
  const node = plan.nodes.find((n) => n.id === event.nodeId);
  const model = event.outputs[MODEL_PORT];
  if (!node || !REGISTERED_CATEGORIES.has(node.def.category) || !model || model.type !== "model") return undefined;
  const name = node.label.trim() || node.def.title;
  try {
    const run = await db.runs.get(event.runId);
    if (!run) throw new Error(`run ${event.runId} is not stored`);
    const from = node.inputs[TRAIN_PORT];
    const dataHash = from ? run.nodes.find((n) => n.nodeId === from.node)?.outputs[from.port]?.hash : undefined;
    const info = plan.infos[node.id]?.[MODEL_PORT]?.model;
    return await db.models.register({
      name,
      algorithm: info?.algorithm ?? node.kind,
      task: info?.task ?? null,
      metrics: event.metrics,
      params: node.params,
      lineage: { runId: event.runId, nodeId: node.id, workflowId: run.workflowId ?? null, workflowVersionId: run.workflowVersionId ?? null, dataHash: dataHash ?? null },
      modelHash: model.hash,
    });
  } catch (e) {
    throw new Error(`Could not register the model of "${name}" (node ${node.id}, run ${event.runId}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
