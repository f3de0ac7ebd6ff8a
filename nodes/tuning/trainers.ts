/**
 * The trainers the tuning and cross-validation nodes can drive, and what their settings accept. Settings are
 * read from each trainer's own zod params (via JSON Schema), so a new trainer setting is tunable without
 * changes here, and every value is checked by the trainer's own schema before a child task runs.
 */
import { z } from "zod";
import type { AnyNodeDefinition } from "../core/define-node";
import { fail } from "../core/errors";
import gradientBoosting from "../training/gradient-boosting";
import logisticRegression from "../training/logistic-regression";
import mlp from "../training/mlp";
import decisionTree from "../training/decision-tree";
import randomForest from "../training/random-forest";

export const TRAINER_IDS = ["logistic-regression", "mlp", "gradient-boosting", "random-forest", "decision-tree"] as const;
export type TrainerId = (typeof TRAINER_IDS)[number];

const DEFS: Record<TrainerId, AnyNodeDefinition> = {
  "logistic-regression": logisticRegression as unknown as AnyNodeDefinition,
  mlp: mlp as unknown as AnyNodeDefinition,
  "gradient-boosting": gradientBoosting as unknown as AnyNodeDefinition,
  "random-forest": randomForest as unknown as AnyNodeDefinition,
  "decision-tree": decisionTree as unknown as AnyNodeDefinition,
};

/** The trainer param the tuning/CV node sets itself (from its own column pickers), never from a search space. */
export const RESERVED = new Set(["label", "features"]);

export const trainerParam = z.enum(TRAINER_IDS).default("logistic-regression").meta({
  title: "Trainer",
  description: "The model to train: logistic regression, neural network (MLP), gradient-boosted trees, random forest or decision tree.",
});

export function trainerDef(id: TrainerId): AnyNodeDefinition {
  return DEFS[id];
}

/** What one trainer setting accepts, from its JSON Schema. */
export interface SettingInfo {
  name: string;
  title: string;
  type: "number" | "integer" | "boolean" | "string" | "array";
  enum?: string[];
  minimum?: number;
  maximum?: number;
  /** Numbers strictly above this (e.g. a learning rate > 0). */
  exclusiveMinimum?: number;
}

const settingsCache = new Map<TrainerId, Map<string, SettingInfo>>();

/** Settings of a trainer that a search space or the fixed settings may name (all but label and features). */
export function trainerSettings(id: TrainerId): Map<string, SettingInfo> {
  const hit = settingsCache.get(id);
  if (hit) return hit;
  const js = z.toJSONSchema(DEFS[id].params, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, Record<string, unknown>> };
  const out = new Map<string, SettingInfo>();
  for (const [name, f] of Object.entries(js.properties ?? {})) {
    if (RESERVED.has(name)) continue;
    const type = (f.enum ? "string" : f.type) as SettingInfo["type"];
    out.set(name, {
      name,
      title: typeof f.title === "string" ? f.title : name,
      type,
      ...(Array.isArray(f.enum) ? { enum: f.enum.map(String) } : {}),
      ...(typeof f.minimum === "number" ? { minimum: f.minimum } : {}),
      ...(typeof f.maximum === "number" ? { maximum: f.maximum } : {}),
      ...(typeof f.exclusiveMinimum === "number" ? { exclusiveMinimum: f.exclusiveMinimum } : {}),
    });
  }
  settingsCache.set(id, out);
  return out;
}

/** The setting `name` of trainer `id`, or a user error naming it and listing the trainer's settings. */
export function requireSetting(id: TrainerId, name: string, where: string, field: string): SettingInfo {
  if (RESERVED.has(name)) fail("reserved_setting", `${where}: "${name}" is set by this node's own ${name === "label" ? "Label" : "Features"} setting, not here.`, field);
  const s = trainerSettings(id).get(name);
  if (!s) {
    const names = [...trainerSettings(id).keys()];
    fail("unknown_setting", `${where}: "${name}" is not a setting of ${DEFS[id].title}. Its settings: ${names.join(", ")}.`, field);
  }
  return s;
}

/**
 * A value typed as text (a list-of-values entry, or a fixed setting) turned into what the setting takes:
 * numbers, true/false, a choice, or a list such as `64, 64` for hidden layers. Checked by the trainer's schema.
 */
export function coerceSetting(id: TrainerId, name: string, raw: unknown, where: string, field: string): unknown {
  const s = requireSetting(id, name, where, field);
  let value: unknown = raw;
  if (typeof raw === "string") {
    const text = raw.trim();
    if (s.type === "number" || s.type === "integer") value = text === "" ? NaN : Number(text);
    else if (s.type === "boolean") value = text === "true" ? true : text === "false" ? false : text;
    else if (s.type === "array") value = text.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean).map(Number);
    else value = text;
  }
  const shape = (DEFS[id].params as unknown as { shape: Record<string, z.ZodType> }).shape;
  const r = shape[name]!.safeParse(value);
  if (!r.success) fail("bad_setting_value", `${where}: ${JSON.stringify(raw)} is not a valid value for "${name}" (${s.title}): ${r.error.issues[0]?.message ?? "invalid"}.`, field);
  return r.data;
}

/** Full, checked params of the trainer: its defaults, then `settings`, then label/features. */
export function fullParams(id: TrainerId, base: { label: string; features: string[] }, settings: Record<string, unknown>, where: string, field: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) out[k] = coerceSetting(id, k, v, where, field);
  const r = DEFS[id].params.safeParse({ ...out, label: base.label, features: base.features });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    fail("bad_setting_value", `${where}: "${issue.path.join(".")}" ${issue.message}.`, field);
  }
  return r.data;
}
