"use client";
/**
 * The form for a code node's declared parameters (its `values` param): one field per declaration, drawn by
 * the same field renderers as any node's settings (numbers, text, yes/no, column pickers fed by the schema
 * reaching the declared input).
 */
import type { FieldSchema } from "../../../_lib/nodes";
import type { ParamDecl } from "../../../../nodes/code/declarations";
import { Field, type FieldProps } from "../fields";
import { humanize } from "../form-schema";
import { useCodeParams } from "./use-code-types";

function fieldFor(d: ParamDecl): FieldSchema {
  const title = d.label || humanize(d.name);
  if (d.type === "column") return { type: "string", ui: "column", port: d.port, dtype: "any", title, default: "" };
  return { type: d.type, title, default: d.default };
}

export function CodeParamsField({ nodeId, tid, value, onChange, issues, path }: FieldProps) {
  const params = useCodeParams(nodeId);
  const decls = params?.parameters ?? [];
  const values = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  if (!decls.length) return <div className="field-hint" data-testid={`${tid}-none`}>Declare parameters above; each one gets a field here.</div>;
  return (
    <div className="code-params" data-testid={tid}>
      {decls.map((d) => {
        const f = fieldFor(d);
        const v = Object.hasOwn(values, d.name) ? values[d.name] : f.default;
        return (
          <div className="field sub" key={d.name} data-field={`values.${d.name}`}>
            <label className="field-label">{f.title}</label>
            <Field
              nodeId={nodeId}
              name={d.name}
              tid={`${tid}-${d.name}`}
              f={f}
              value={v}
              path={[...path, d.name]}
              issues={issues}
              onChange={(nv) => {
                const next = { ...values };
                if (nv === undefined) delete next[d.name];
                else next[d.name] = nv;
                onChange(next);
              }}
            />
            <div className="field-help">params.{d.name}</div>
          </div>
        );
      })}
    </div>
  );
}
