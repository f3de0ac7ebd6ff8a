"use client";
/**
 * Settings form generated from a node's params JSON Schema (zod 4 `toJSONSchema`): numbers, integers,
 * booleans, enums, strings, column pickers fed by the upstream schema, file fields, lists of numbers or text,
 * lists of objects and of discriminated unions (cards with their own sub-forms), and records (key/value rows).
 * The field renderers live in ./fields; top-level fields write through `actions.setParam`.
 */
import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { AnyNodeDefinition } from "../../../nodes/core/define-node";
import { paramsSchema } from "../../_lib/nodes";
import { Field, showsNestedIssues } from "./fields";
import { humanize, issuesByPath } from "./form-schema";
import { actions, useEditor } from "./store";

export function ParamForm({ nodeId, def, params }: { nodeId: string; def: AnyNodeDefinition; params: Record<string, unknown> }) {
  const schema = paramsSchema(def);
  const compileIssues = useEditor(useShallow((s) => s.issues.filter((i) => i.nodeId === nodeId)));
  const issues = useMemo(() => {
    const r = def.params.safeParse(params);
    return r.success ? new Map<string, string>() : issuesByPath(r.error.issues);
  }, [def, params]);
  const entries = Object.entries(schema.properties).filter(([, f]) => f.ui !== "hidden");
  if (!entries.length) return <p className="muted">This node has no settings.</p>;
  return (
    <div className="form">
      {entries.map(([name, f]) => {
        const value = params[name] !== undefined ? params[name] : f.default;
        const required = schema.required.includes(name) && f.default === undefined;
        // Lists with an editor show their items' messages in place; other fields show the first one here.
        const nested = showsNestedIssues(f) ? undefined : [...issues].find(([k]) => k.startsWith(`${name}.`))?.[1];
        // The compiler's "invalid_param" issues are the same zod check, from the last (maybe stale) analysis.
        // Every other issue the analysis gave this field is shown here, under it (not in the inspector's list).
        const fieldIssue =
          issues.get(name) ??
          nested ??
          (compileIssues
            .filter((i) => i.field === name && i.code !== "invalid_param")
            .map((i) => i.message)
            .join("\n") ||
            undefined);
        return (
          <div className={`field${fieldIssue ? " invalid" : ""}`} key={name} data-field={name}>
            <label className="field-label">
              {f.title ?? humanize(name)}
              {required && <span className="req">*</span>}
            </label>
            <Field nodeId={nodeId} name={name} tid={`field-${name}`} f={f} value={value} required={required} path={[name]} issues={issues} onChange={(v) => actions.setParam(nodeId, name, v)} />
            {fieldIssue && <div className="field-error" data-testid={`field-${name}-error`}>{fieldIssue}</div>}
            {f.description && <div className="field-help">{f.description}</div>}
          </div>
        );
      })}
    </div>
  );
}

/** Names of the settings the form shows for a node (issues naming one of them are shown under it). */
export function visibleParamNames(def: AnyNodeDefinition): Set<string> {
  return new Set(Object.entries(paramsSchema(def).properties).filter(([, f]) => f.ui !== "hidden").map(([name]) => name));
}
