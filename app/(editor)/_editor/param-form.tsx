"use client";
/**
 * Settings form generated from a node's params JSON Schema (zod 4 `toJSONSchema`): numbers, integers,
 * booleans, enums, strings, string lists, column pickers fed by the upstream schema, and file fields.
 */
import { useMemo, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import type { AnyNodeDefinition } from "../../../nodes/core/define-node";
import type { ColumnInfo } from "../../../nodes/core/schema";
import { isNumeric } from "../../../nodes/core/schema";
import { paramsSchema, type FieldSchema } from "../../_lib/nodes";
import { actions, useEditor } from "./store";

function baseType(f: FieldSchema): { type?: string; nullable: boolean; enumValues?: unknown[]; field: FieldSchema } {
  const alts = f.anyOf ?? f.oneOf;
  if (alts) {
    const nonNull = alts.filter((a) => a.type !== "null");
    const inner = nonNull[0] ?? {};
    const consts = nonNull.every((a) => a.const !== undefined) ? nonNull.map((a) => a.const) : undefined;
    return { type: inner.type as string | undefined, nullable: nonNull.length < alts.length, enumValues: consts ?? inner.enum, field: { ...inner, ...f, anyOf: undefined, oneOf: undefined } };
  }
  if (Array.isArray(f.type)) {
    const t = f.type.filter((x) => x !== "null");
    return { type: t[0], nullable: t.length < f.type.length, enumValues: f.enum, field: f };
  }
  return { type: f.type, nullable: false, enumValues: f.enum, field: f };
}

const humanize = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());

/** Columns of the table flowing into `port` of `nodeId`, from the last analysis. */
function useUpstreamColumns(nodeId: string, port: string | undefined): ColumnInfo[] | undefined {
  return useEditor(
    useShallow((s) => {
      if (!port) return undefined;
      const e = s.edges.find((x) => x.target === nodeId && x.targetHandle === port);
      if (!e) return undefined;
      return s.infos[e.source]?.[e.sourceHandle ?? ""]?.table?.columns;
    }),
  );
}

function ColumnField({ nodeId, name, f, value, multi }: { nodeId: string; name: string; f: FieldSchema; value: unknown; multi: boolean }) {
  const cols = useUpstreamColumns(nodeId, f.port);
  const connected = useEditor((s) => s.edges.some((x) => x.target === nodeId && x.targetHandle === f.port));
  const analyzing = useEditor((s) => s.analyzing);
  const [filter, setFilter] = useState("");
  const fitting = (c: ColumnInfo) => f.dtype !== "numeric" || isNumeric(c.dtype) || c.dtype === "unknown";
  if (!cols) {
    return (
      <div className="field-hint" data-testid={`field-${name}-nocolumns`}>
        {!connected ? `Connect the “${f.port}” input to pick columns.` : analyzing ? "Reading the columns…" : "Columns are not known yet (check the upstream node's settings)."}
        {multi ? (
          <input className="input" placeholder="column, column…" value={Array.isArray(value) ? (value as string[]).join(", ") : ""} onChange={(e) => actions.setParam(nodeId, name, e.target.value.split(",").map((x) => x.trim()).filter(Boolean))} data-testid={`field-${name}`} />
        ) : (
          <input className="input" placeholder="column name" value={typeof value === "string" ? value : ""} onChange={(e) => actions.setParam(nodeId, name, e.target.value)} data-testid={`field-${name}`} />
        )}
      </div>
    );
  }
  if (!multi) {
    const v = typeof value === "string" ? value : "";
    return (
      <select className="input" value={v} onChange={(e) => actions.setParam(nodeId, name, e.target.value)} data-testid={`field-${name}`}>
        <option value="">— automatic / none —</option>
        {v && !cols.some((c) => c.name === v) && <option value={v}>{v} (not in input)</option>}
        {cols.map((c) => (
          <option key={c.name} value={c.name} disabled={!fitting(c)}>
            {c.name} · {c.dtype}{c.role ? ` · ${c.role}` : ""}
          </option>
        ))}
      </select>
    );
  }
  const chosen = new Set(Array.isArray(value) ? (value as string[]) : []);
  const shown = cols.filter((c) => !filter || c.name.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (c: string) => {
    const next = new Set(chosen);
    if (next.has(c)) next.delete(c);
    else next.add(c);
    actions.setParam(nodeId, name, cols.map((x) => x.name).filter((x) => next.has(x)).concat([...next].filter((x) => !cols.some((k) => k.name === x))));
  };
  return (
    <div className="colpicker" data-testid={`field-${name}`}>
      <div className="colpicker-bar">
        <input className="input" placeholder="Filter columns" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <button type="button" className="btn-link" onClick={() => actions.setParam(nodeId, name, cols.filter(fitting).map((c) => c.name))}>All</button>
        <button type="button" className="btn-link" onClick={() => actions.setParam(nodeId, name, [])}>None</button>
      </div>
      <div className="colpicker-list">
        {shown.map((c) => (
          <label key={c.name} className={fitting(c) ? "" : "disabled"}>
            <input type="checkbox" checked={chosen.has(c.name)} disabled={!fitting(c)} onChange={() => toggle(c.name)} data-testid={`field-${name}-option-${c.name}`} />
            <span className="colname">{c.name}</span>
            <span className={`dtype dtype-${c.dtype}`}>{c.dtype}</span>
          </label>
        ))}
      </div>
      <div className="field-hint">{chosen.size === 0 ? "None chosen: the node's default applies." : `${chosen.size} of ${cols.length} chosen`}</div>
    </div>
  );
}

function FileField({ nodeId, name, value }: { nodeId: string; name: string; value: unknown }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<string | undefined>();
  const upload = async (file: File) => {
    setBusy(`Uploading ${file.name}…`);
    try {
      const res = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
      const body = (await res.json().catch(() => ({}))) as { path?: string; error?: string };
      if (!res.ok || !body.path) throw new Error(body.error ?? `Upload failed (HTTP ${res.status}).`);
      actions.setParam(nodeId, name, body.path);
      actions.toast("success", `Uploaded ${file.name}`);
    } catch (e) {
      actions.toast("error", e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(undefined);
      if (input.current) input.current.value = "";
    }
  };
  return (
    <div className="filefield">
      <div className="row">
        <input className="input" placeholder="/path/to/data.csv" value={typeof value === "string" ? value : ""} onChange={(e) => actions.setParam(nodeId, name, e.target.value)} data-testid={`field-${name}`} spellCheck={false} />
        <button type="button" className="btn" onClick={() => input.current?.click()} disabled={!!busy} data-testid={`field-${name}-upload`}>
          Upload…
        </button>
      </div>
      <input ref={input} type="file" hidden accept=".csv,.tsv,.parquet,.json,.jsonl,.txt" onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
      {busy && <div className="field-hint">{busy}</div>}
    </div>
  );
}

function NumberField({ nodeId, name, f, value, integer }: { nodeId: string; name: string; f: FieldSchema; value: unknown; integer: boolean }) {
  const [text, setText] = useState<string | undefined>();
  const shown = text ?? (typeof value === "number" ? String(value) : "");
  return (
    <input
      className="input"
      type="number"
      step={integer ? 1 : "any"}
      min={f.minimum ?? f.exclusiveMinimum}
      max={f.maximum !== undefined && f.maximum < 1e15 ? f.maximum : undefined}
      value={shown}
      placeholder={f.default !== undefined ? String(f.default) : ""}
      onChange={(e) => {
        setText(e.target.value);
        const v = e.target.value.trim();
        if (v === "") actions.setParam(nodeId, name, undefined);
        else if (Number.isFinite(Number(v))) actions.setParam(nodeId, name, Number(v));
      }}
      onBlur={() => setText(undefined)}
      data-testid={`field-${name}`}
    />
  );
}

function Field({ nodeId, name, f, value }: { nodeId: string; name: string; f: FieldSchema; value: unknown }) {
  const { type, nullable, enumValues, field } = baseType(f);
  if (field.ui === "column" || field.ui === "columns") return <ColumnField nodeId={nodeId} name={name} f={field} value={value} multi={field.ui === "columns"} />;
  if (field.ui === "file") return <FileField nodeId={nodeId} name={name} value={value} />;
  if (enumValues) {
    return (
      <select className="input" value={value == null ? "" : String(value)} onChange={(e) => actions.setParam(nodeId, name, e.target.value === "" && nullable ? null : (enumValues.find((x) => String(x) === e.target.value) ?? e.target.value))} data-testid={`field-${name}`}>
        {nullable && <option value="">—</option>}
        {enumValues.map((v) => (
          <option key={String(v)} value={String(v)}>{String(v)}</option>
        ))}
      </select>
    );
  }
  if (type === "boolean") {
    return (
      <label className="switch">
        <input type="checkbox" checked={value === true} onChange={(e) => actions.setParam(nodeId, name, e.target.checked)} data-testid={`field-${name}`} />
        <span>{value === true ? "On" : "Off"}</span>
      </label>
    );
  }
  if (type === "number" || type === "integer") return <NumberField nodeId={nodeId} name={name} f={field} value={value} integer={type === "integer"} />;
  if (type === "array" && (field.items?.type === "string" || field.items?.type === "number")) {
    const list = Array.isArray(value) ? (value as unknown[]) : [];
    const num = field.items?.type === "number";
    return (
      <input
        className="input"
        value={list.join(", ")}
        placeholder="comma-separated"
        onChange={(e) => actions.setParam(nodeId, name, e.target.value.split(",").map((x) => x.trim()).filter(Boolean).map((x) => (num ? Number(x) : x)))}
        data-testid={`field-${name}`}
      />
    );
  }
  if (type === "string") {
    if (field.ui === "code" || field.ui === "textarea")
      return <textarea className="input mono" rows={field.ui === "code" ? 10 : 4} value={typeof value === "string" ? value : ""} onChange={(e) => actions.setParam(nodeId, name, e.target.value)} data-testid={`field-${name}`} spellCheck={false} />;
    return <input className="input" value={typeof value === "string" ? value : ""} onChange={(e) => actions.setParam(nodeId, name, nullable && e.target.value === "" ? null : e.target.value)} data-testid={`field-${name}`} />;
  }
  return (
    <textarea
      className="input mono"
      rows={3}
      defaultValue={JSON.stringify(value ?? field.default ?? null)}
      onBlur={(e) => {
        try {
          actions.setParam(nodeId, name, JSON.parse(e.target.value));
        } catch {
          actions.toast("error", `“${humanize(name)}” must be JSON.`);
        }
      }}
      data-testid={`field-${name}`}
    />
  );
}

export function ParamForm({ nodeId, def, params }: { nodeId: string; def: AnyNodeDefinition; params: Record<string, unknown> }) {
  const schema = paramsSchema(def);
  const compileIssues = useEditor(useShallow((s) => s.issues.filter((i) => i.nodeId === nodeId)));
  const zodIssues = useMemo(() => {
    const r = def.params.safeParse(params);
    const out: Record<string, string> = {};
    if (!r.success) for (const i of r.error.issues) out[String(i.path[0] ?? "")] ??= i.message;
    return out;
  }, [def, params]);
  const entries = Object.entries(schema.properties).filter(([, f]) => f.ui !== "hidden");
  if (!entries.length) return <p className="muted">This node has no settings.</p>;
  return (
    <div className="form">
      {entries.map(([name, f]) => {
        const value = params[name] !== undefined ? params[name] : f.default;
        const fieldIssue = zodIssues[name] ?? compileIssues.find((i) => i.field === name)?.message;
        return (
          <div className={`field${fieldIssue ? " invalid" : ""}`} key={name} data-field={name}>
            <label className="field-label">
              {f.title ?? humanize(name)}
              {schema.required.includes(name) && f.default === undefined && <span className="req">*</span>}
            </label>
            <Field nodeId={nodeId} name={name} f={f} value={value} />
            {fieldIssue && <div className="field-error" data-testid={`field-${name}-error`}>{fieldIssue}</div>}
            {f.description && <div className="field-help">{f.description}</div>}
          </div>
        );
      })}
    </div>
  );
}
