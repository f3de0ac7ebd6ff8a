"use client";
/**
 * Field renderers of the settings form. Each takes a value and an `onChange`, so the same renderers serve
 * top-level params and the fields inside list items (cards). `tid` is the test id: `field-<name>` at the top,
 * `field-<name>-item-<i>-<sub>` inside a list.
 */
import { useRef, useState, type ReactNode } from "react";
import { useShallow } from "zustand/react/shallow";
import type { ColumnInfo } from "../../../nodes/core/schema";
import { isNumeric } from "../../../nodes/core/schema";
import type { FieldSchema } from "../../_lib/nodes";
import {
  baseType,
  defaultObject,
  defaultScalar,
  humanize,
  isRecord,
  itemNoun,
  listKind,
  pathKey,
  unionOf,
  type Path,
} from "./form-schema";
import { TRAINER_IDS, trainerSettings, type TrainerId } from "../../../nodes/tuning/trainers";
import { CodeField } from "./code/code-field";
import { CodeParamsField } from "./code/code-params-field";
import { actions, useEditor } from "./store";

export interface FieldProps {
  nodeId: string;
  /** The param's name (top level) or the sub-field's key. */
  name: string;
  /** Test id of the control. */
  tid: string;
  f: FieldSchema;
  value: unknown;
  onChange: (v: unknown) => void;
  /** Where the value sits in the params, for validation messages. */
  path: Path;
  issues: Map<string, string>;
  required?: boolean;
}

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

function ColumnField({ nodeId, tid, f, value, onChange, multi, required }: FieldProps & { multi: boolean }) {
  const cols = useUpstreamColumns(nodeId, f.port);
  const connected = useEditor((s) => s.edges.some((x) => x.target === nodeId && x.targetHandle === f.port));
  const analyzing = useEditor((s) => s.analyzing);
  const [filter, setFilter] = useState("");
  const fitting = (c: ColumnInfo) => f.dtype !== "numeric" || isNumeric(c.dtype) || c.dtype === "unknown";
  if (!cols) {
    return (
      <div className="field-hint" data-testid={`${tid}-nocolumns`}>
        {!connected ? `Connect the “${f.port}” input to pick columns.` : analyzing ? "Reading the columns…" : "Columns are not known yet (check the upstream node's settings)."}
        {multi ? (
          <input className="input" placeholder="column, column…" value={Array.isArray(value) ? (value as string[]).join(", ") : ""} onChange={(e) => onChange(e.target.value.split(",").map((x) => x.trim()).filter(Boolean))} data-testid={tid} />
        ) : (
          <input className="input" placeholder="column name" value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} data-testid={tid} />
        )}
      </div>
    );
  }
  if (!multi) {
    const v = typeof value === "string" ? value : "";
    return (
      <select className="input" value={v} onChange={(e) => onChange(e.target.value)} data-testid={tid}>
        <option value="">{required ? "— choose a column —" : "— automatic / none —"}</option>
        {v && !cols.some((c) => c.name === v) && <option value={v}>{v} (not in input)</option>}
        {cols.map((c) => (
          <option key={c.name} value={c.name} disabled={!fitting(c)}>
            {c.name} · {c.dtype}
            {c.role ? ` · ${c.role}` : ""}
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
    onChange(cols.map((x) => x.name).filter((x) => next.has(x)).concat([...next].filter((x) => !cols.some((k) => k.name === x))));
  };
  return (
    <div className="colpicker" data-testid={tid}>
      <div className="colpicker-bar">
        <input className="input" placeholder="Filter columns" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <button type="button" className="btn-link" onClick={() => onChange(cols.filter(fitting).map((c) => c.name))}>All</button>
        <button type="button" className="btn-link" onClick={() => onChange([])}>None</button>
      </div>
      <div className="colpicker-list">
        {shown.map((c) => (
          <label key={c.name} className={fitting(c) ? "" : "disabled"}>
            <input type="checkbox" checked={chosen.has(c.name)} disabled={!fitting(c)} onChange={() => toggle(c.name)} data-testid={`${tid}-option-${c.name}`} />
            <span className="colname">{c.name}</span>
            <span className={`dtype dtype-${c.dtype}`}>{c.dtype}</span>
          </label>
        ))}
      </div>
      <div className="field-hint">{chosen.size === 0 ? "None chosen: the node's default applies." : `${chosen.size} of ${cols.length} chosen`}</div>
    </div>
  );
}

function FileField({ tid, value, onChange }: FieldProps) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<string | undefined>();
  const upload = async (file: File) => {
    setBusy(`Uploading ${file.name}…`);
    try {
      const res = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
      const body = (await res.json().catch(() => ({}))) as { path?: string; error?: string };
      if (!res.ok || !body.path) throw new Error(body.error ?? `Upload failed (HTTP ${res.status}).`);
      onChange(body.path);
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
        <input className="input" placeholder="/path/to/data.csv" value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} data-testid={tid} spellCheck={false} />
        <button type="button" className="btn" onClick={() => input.current?.click()} disabled={!!busy} data-testid={`${tid}-upload`}>
          Upload…
        </button>
      </div>
      <input ref={input} type="file" hidden accept=".csv,.tsv,.parquet,.json,.jsonl,.txt" onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
      {busy && <div className="field-hint">{busy}</div>}
    </div>
  );
}

/**
 * A number input that keeps what is being typed ("1.", "-") while the stored value stays a number.
 * Emptying it gives `undefined` (the param falls back to its default), unless `keepWhenEmpty`.
 */
function NumberInput({ tid, f, value, onChange, integer, keepWhenEmpty, className, ariaLabel }: { tid: string; f: FieldSchema; value: unknown; onChange: (v: unknown) => void; integer: boolean; keepWhenEmpty?: boolean; className?: string; ariaLabel?: string }) {
  const [text, setText] = useState<string | undefined>();
  const shown = text ?? (typeof value === "number" ? String(value) : "");
  return (
    <input
      className={className ?? "input"}
      type="number"
      step={integer ? 1 : "any"}
      min={f.minimum ?? f.exclusiveMinimum}
      max={f.maximum !== undefined && f.maximum < 1e15 ? f.maximum : undefined}
      value={shown}
      placeholder={f.default !== undefined ? String(f.default) : ""}
      aria-label={ariaLabel}
      onChange={(e) => {
        setText(e.target.value);
        const v = e.target.value.trim();
        if (v === "") {
          if (!keepWhenEmpty) onChange(undefined);
        } else if (Number.isFinite(Number(v))) onChange(Number(v));
      }}
      onBlur={() => setText(undefined)}
      data-testid={tid}
    />
  );
}

/** Stable React keys for the rows of a list that can be reordered, kept beside the (plain JSON) value. */
function useRowKeys(length: number) {
  const seq = useRef(0);
  const keys = useRef<number[]>([]);
  while (keys.current.length < length) keys.current.push(seq.current++);
  if (keys.current.length > length) keys.current.length = length;
  return {
    keys: keys.current,
    add: () => keys.current.push(seq.current++),
    remove: (i: number) => keys.current.splice(i, 1),
    move: (i: number, j: number) => {
      const [k] = keys.current.splice(i, 1);
      keys.current.splice(j, 0, k!);
    },
  };
}

function moveItem<T>(list: T[], i: number, j: number): T[] {
  const next = list.slice();
  const [x] = next.splice(i, 1);
  next.splice(j, 0, x!);
  return next;
}

function ItemButtons({ tid, i, n, min, onMove, onRemove, noun }: { tid: string; i: number; n: number; min: number; onMove: (i: number, j: number) => void; onRemove: (i: number) => void; noun: string }) {
  return (
    <span className="item-buttons">
      <button type="button" className="icon-btn" title={`Move this ${noun} up`} aria-label="Move up" disabled={i === 0} onClick={() => onMove(i, i - 1)} data-testid={`${tid}-up`}>
        ↑
      </button>
      <button type="button" className="icon-btn" title={`Move this ${noun} down`} aria-label="Move down" disabled={i === n - 1} onClick={() => onMove(i, i + 1)} data-testid={`${tid}-down`}>
        ↓
      </button>
      <button type="button" className="icon-btn danger" title={`Remove this ${noun}`} aria-label="Remove" disabled={n <= min} onClick={() => onRemove(i)} data-testid={`${tid}-remove`}>
        ×
      </button>
    </span>
  );
}

/** A list of numbers or texts: one small input per entry, with remove and add. */
function ScalarListField({ name, tid, f, value, onChange, path, issues }: FieldProps) {
  const kind = listKind(f) as "numbers" | "strings";
  const items = f.items ?? {};
  const list = Array.isArray(value) ? (value as unknown[]) : [];
  const rows = useRowKeys(list.length);
  const min = f.minItems ?? 0;
  const max = f.maxItems ?? Infinity;
  const integer = baseType(items).type === "integer";
  const noun = itemNoun(f, name);
  const set = (i: number, v: unknown) => onChange(list.map((x, j) => (j === i ? v : x)));
  return (
    <div className="scalar-list" data-testid={tid}>
      {list.map((x, i) => {
        const err = issues.get(pathKey([...path, i]));
        return (
          <span className={`scalar-item${err ? " invalid" : ""}`} key={rows.keys[i]} title={err}>
            {kind === "numbers" ? (
              <NumberInput tid={`${tid}-item-${i}`} f={items} value={x} onChange={(v) => set(i, v)} integer={integer} keepWhenEmpty className="input scalar-input" ariaLabel={`${noun} ${i + 1}`} />
            ) : (
              <input className="input scalar-input" value={typeof x === "string" ? x : String(x ?? "")} placeholder="(empty text)" aria-label={`${noun} ${i + 1}`} onChange={(e) => set(i, e.target.value)} data-testid={`${tid}-item-${i}`} spellCheck={false} />
            )}
            <button
              type="button"
              className="icon-btn danger"
              title={`Remove this ${noun}`}
              aria-label="Remove"
              disabled={list.length <= min}
              onClick={() => {
                rows.remove(i);
                onChange(list.filter((_, j) => j !== i));
              }}
              data-testid={`${tid}-item-${i}-remove`}
            >
              ×
            </button>
          </span>
        );
      })}
      <button
        type="button"
        className="btn btn-small"
        disabled={list.length >= max}
        onClick={() => {
          rows.add();
          onChange([...list, defaultScalar(items, list, kind)]);
        }}
        data-testid={`${tid}-add`}
      >
        + Add {noun}
      </button>
      {list.map((_, i) => issues.get(pathKey([...path, i])) && <div className="field-error" key={`e${i}`} data-testid={`${tid}-item-${i}-error`}>{`${humanize(noun)} ${i + 1}: ${issues.get(pathKey([...path, i]))}`}</div>)}
    </div>
  );
}

/** The fields of one object (a list item), each with its label and validation message. */
function SubForm({ nodeId, tid, schema, value, onChange, path, issues, skip }: { nodeId: string; tid: string; schema: FieldSchema; value: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void; path: Path; issues: Map<string, string>; skip?: string }) {
  const entries = Object.entries(schema.properties ?? {}).filter(([k, p]) => k !== skip && p.ui !== "hidden");
  if (!entries.length) return <div className="field-hint">Nothing to set.</div>;
  return (
    <div className="subform">
      {entries.map(([k, p]) => {
        const required = (schema.required ?? []).includes(k) && p.default === undefined;
        const v = value[k] !== undefined ? value[k] : p.default;
        const err = issues.get(pathKey([...path, k]));
        return (
          <div className={`field sub${err ? " invalid" : ""}`} key={k} data-field={k}>
            <label className="field-label">
              {p.title ?? humanize(k)}
              {required && <span className="req">*</span>}
            </label>
            <Field
              nodeId={nodeId}
              name={k}
              tid={`${tid}-${k}`}
              f={p}
              value={v}
              required={required}
              path={[...path, k]}
              issues={issues}
              onChange={(nv) => {
                const next = { ...value };
                if (nv === undefined) delete next[k];
                else next[k] = nv;
                onChange(next);
              }}
            />
            {err && <div className="field-error" data-testid={`${tid}-${k}-error`}>{err}</div>}
            {p.description && <div className="field-help">{p.description}</div>}
          </div>
        );
      })}
    </div>
  );
}

/** A list of objects, or of a discriminated union of objects: one card per item with its own sub-form. */
function ObjectListField({ nodeId, name, tid, f, value, onChange, path, issues }: FieldProps) {
  const items = f.items ?? {};
  const union = unionOf(items);
  const list = Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
  const rows = useRowKeys(list.length);
  const [addType, setAddType] = useState(union?.variants[0]?.value ?? "");
  const noun = itemNoun(f, name);
  const min = f.minItems ?? 0;
  const max = f.maxItems ?? Infinity;
  const fresh = (variant?: string) => (union ? defaultObject(union.variants.find((v) => v.value === variant)!.schema, { key: union.discriminator, value: variant! }) : defaultObject(items));
  const setItem = (i: number, v: Record<string, unknown>) => onChange(list.map((x, j) => (j === i ? v : x)));
  const move = (i: number, j: number) => {
    rows.move(i, j);
    onChange(moveItem(list, i, j));
  };
  const remove = (i: number) => {
    rows.remove(i);
    onChange(list.filter((_, j) => j !== i));
  };
  const add = () => {
    rows.add();
    onChange([...list, fresh(union ? addType : undefined)]);
  };
  return (
    <div className="object-list" data-testid={tid}>
      {list.length === 0 && <div className="field-hint object-list-empty">No {noun}s yet.</div>}
      {list.map((raw, i) => {
        const item = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
        const itid = `${tid}-item-${i}`;
        const ipath = [...path, i];
        const variant = union?.variants.find((v) => v.value === item[union.discriminator]);
        const schema = union ? variant?.schema : items;
        const itemErr = issues.get(pathKey(ipath));
        const hasErr = !!itemErr || [...issues.keys()].some((k) => k.startsWith(`${pathKey(ipath)}.`));
        return (
          <div className={`item-card${hasErr ? " invalid" : ""}`} key={rows.keys[i]} data-testid={itid} data-variant={variant?.value}>
            <div className="item-card-head">
              <span className="item-index">{i + 1}</span>
              {union ? (
                <select
                  className="input item-variant"
                  value={variant?.value ?? ""}
                  title={`Kind of ${noun}`}
                  onChange={(e) => setItem(i, fresh(e.target.value))}
                  data-testid={`${itid}-${union.discriminator}`}
                >
                  {!variant && <option value="">— choose —</option>}
                  {union.variants.map((v) => (
                    <option key={v.value} value={v.value}>
                      {v.title}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="item-title">
                  {humanize(noun)} {i + 1}
                </span>
              )}
              <ItemButtons tid={itid} i={i} n={list.length} min={min} onMove={move} onRemove={remove} noun={noun} />
            </div>
            {schema && <SubForm nodeId={nodeId} tid={itid} schema={schema} value={item} onChange={(v) => setItem(i, v)} path={ipath} issues={issues} skip={union?.discriminator} />}
            {itemErr && <div className="field-error" data-testid={`${itid}-error`}>{itemErr}</div>}
          </div>
        );
      })}
      <div className="object-list-add">
        {union && (
          <select className="input" value={addType} onChange={(e) => setAddType(e.target.value)} aria-label={`Kind of ${noun} to add`} data-testid={`${tid}-add-type`}>
            {union.variants.map((v) => (
              <option key={v.value} value={v.value}>
                {v.title}
              </option>
            ))}
          </select>
        )}
        <button type="button" className="btn btn-small" disabled={list.length >= max} onClick={add} data-testid={`${tid}-add`}>
          + Add {noun}
        </button>
      </div>
    </div>
  );
}

type ValueKind = "number" | "string" | "boolean";
const KIND_LABEL: Record<ValueKind, string> = { number: "Number", string: "Text", boolean: "Yes/No" };

function kindsOf(f: FieldSchema): ValueKind[] {
  const ap = typeof f.additionalProperties === "object" ? f.additionalProperties : {};
  const types = (ap.anyOf ?? ap.oneOf)?.map((a) => a.type) ?? (Array.isArray(ap.type) ? ap.type : [ap.type]);
  const out = types.flat().map((t) => (t === "integer" ? "number" : t)).filter((t): t is ValueKind => t === "number" || t === "string" || t === "boolean");
  return out.length ? [...new Set(out)] : ["string"];
}

function convert(v: unknown, kind: ValueKind): unknown {
  if (kind === "number") return typeof v === "number" ? v : Number.isFinite(Number(v)) && v !== "" ? Number(v) : 0;
  if (kind === "boolean") return v === true || v === "true";
  return v === undefined || v === null ? "" : String(v);
}

function RecordKey({ tid, k, taken, onRename }: { tid: string; k: string; taken: (k: string) => boolean; onRename: (k: string) => void }) {
  const [text, setText] = useState<string | undefined>();
  const shown = text ?? k;
  const bad = text !== undefined && (text.trim() === "" || (text.trim() !== k && taken(text.trim())));
  return (
    <input
      className={`input record-key${bad ? " bad" : ""}`}
      value={shown}
      title={bad ? "Names must be filled in and different from each other." : undefined}
      onChange={(e) => setText(e.target.value)}
      onBlur={() => {
        if (text !== undefined && !bad && text.trim() !== k) onRename(text.trim());
        setText(undefined);
      }}
      data-testid={`${tid}-key`}
      spellCheck={false}
    />
  );
}

/** A record (`z.record`): rows of name, kind of value and value. */
function RecordField({ name, tid, f, value, onChange }: FieldProps) {
  const obj = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const entries = Object.entries(obj);
  const kinds = kindsOf(f);
  const noun = itemNoun(f, name);
  const rebuild = (fn: (e: Array<[string, unknown]>) => Array<[string, unknown]>) => onChange(Object.fromEntries(fn(entries)));
  return (
    <div className="record-list" data-testid={tid}>
      {entries.map(([k, v], i) => {
        const itid = `${tid}-item-${i}`;
        const kind: ValueKind = typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "string";
        const setV = (nv: unknown) => rebuild((e) => e.map((x, j) => (j === i ? [k, nv] : x)));
        return (
          <div className="record-row" key={`${i}:${k}`} data-testid={itid}>
            <RecordKey tid={itid} k={k} taken={(n) => Object.hasOwn(obj, n)} onRename={(n) => rebuild((e) => e.map((x, j) => (j === i ? [n, x[1]] : x)))} />
            {kinds.length > 1 && (
              <select className="input record-kind" value={kind} onChange={(e) => setV(convert(v, e.target.value as ValueKind))} data-testid={`${itid}-kind`}>
                {kinds.map((x) => (
                  <option key={x} value={x}>
                    {KIND_LABEL[x]}
                  </option>
                ))}
              </select>
            )}
            {kind === "boolean" ? (
              <label className="switch record-value">
                <input type="checkbox" checked={v === true} onChange={(e) => setV(e.target.checked)} data-testid={`${itid}-value`} />
                <span>{v === true ? "Yes" : "No"}</span>
              </label>
            ) : kind === "number" ? (
              <NumberInput tid={`${itid}-value`} f={{}} value={v} onChange={setV} integer={false} keepWhenEmpty className="input record-value" />
            ) : (
              <input className="input record-value" value={String(v ?? "")} onChange={(e) => setV(e.target.value)} data-testid={`${itid}-value`} />
            )}
            <button type="button" className="icon-btn danger" title={`Remove this ${noun}`} aria-label="Remove" onClick={() => rebuild((e) => e.filter((_, j) => j !== i))} data-testid={`${itid}-remove`}>
              ×
            </button>
          </div>
        );
      })}
      <button
        type="button"
        className="btn btn-small"
        onClick={() => {
          let n = entries.length + 1;
          while (Object.hasOwn(obj, `name${n}`)) n++;
          onChange({ ...obj, [`name${n}`]: convert(undefined, kinds.includes("number") ? "number" : kinds[0]!) });
        }}
        data-testid={`${tid}-add`}
      >
        + Add {noun === "item" ? "value" : noun}
      </button>
    </div>
  );
}

function JsonField({ name, tid, f, value, onChange }: FieldProps) {
  return (
    <textarea
      className="input mono"
      rows={3}
      defaultValue={JSON.stringify(value ?? f.default ?? null)}
      onBlur={(e) => {
        try {
          onChange(JSON.parse(e.target.value));
        } catch {
          actions.toast("error", `“${f.title ?? humanize(name)}” must be JSON.`);
        }
      }}
      data-testid={tid}
    />
  );
}

/** A setting of the trainer chosen in the same node's `trainer` param (Tuning search space): a picker, not a name to type. */
function TrainerSettingField({ nodeId, tid, value, onChange }: FieldProps) {
  const trainer = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.data.params.trainer);
  const id: TrainerId = TRAINER_IDS.includes(trainer as TrainerId) ? (trainer as TrainerId) : TRAINER_IDS[0];
  const settings = [...trainerSettings(id).values()];
  const v = typeof value === "string" ? value : "";
  return (
    <select className="input" value={v} onChange={(e) => onChange(e.target.value)} data-testid={tid}>
      <option value="">— choose a setting —</option>
      {v && !settings.some((x) => x.name === v) && <option value={v}>{v} (not a setting of this trainer)</option>}
      {settings.map((x) => (
        <option key={x.name} value={x.name}>
          {x.title}
          {x.title !== x.name ? ` (${x.name})` : ""}
        </option>
      ))}
    </select>
  );
}

/** Whether a field shows the validation messages of its own items (so the form need not repeat them). */
export function showsNestedIssues(f: FieldSchema): boolean {
  const { field } = baseType(f);
  return field.ui !== "columns" && !!listKind(field);
}

export function Field(props: FieldProps): ReactNode {
  const { tid, value, onChange, required } = props;
  const { type, nullable, enumValues, field } = baseType(props.f);
  const p = { ...props, f: field };
  if (field.ui === "column" || field.ui === "columns") return <ColumnField {...p} multi={field.ui === "columns"} />;
  if (field.ui === "file") return <FileField {...p} />;
  if (field.ui === "code") return <CodeField {...p} />;
  if (field.ui === "code-params") return <CodeParamsField {...p} />;
  if (field.ui === "trainer-setting") return <TrainerSettingField {...p} />;
  if (enumValues) {
    return (
      <select className="input" value={value == null ? "" : String(value)} onChange={(e) => onChange(e.target.value === "" ? (nullable ? null : undefined) : (enumValues.find((x) => String(x) === e.target.value) ?? e.target.value))} data-testid={tid}>
        {(nullable || value == null || (!required && field.default === undefined)) && <option value="">—</option>}
        {enumValues.map((v) => (
          <option key={String(v)} value={String(v)}>
            {String(v)}
          </option>
        ))}
      </select>
    );
  }
  if (type === "boolean") {
    return (
      <label className="switch">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} data-testid={tid} />
        <span>{value === true ? "On" : "Off"}</span>
      </label>
    );
  }
  if (type === "number" || type === "integer") return <NumberInput tid={tid} f={field} value={value} onChange={onChange} integer={type === "integer"} />;
  const lk = listKind(field);
  if (lk === "numbers" || lk === "strings") return <ScalarListField {...p} />;
  if (lk === "union" || lk === "objects") return <ObjectListField {...p} />;
  if (type === "object" && isRecord(field)) return <RecordField {...p} />;
  if (type === "string") {
    if (field.ui === "textarea") return <textarea className="input mono" rows={4} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} data-testid={tid} spellCheck={false} />;
    return <input className="input" value={typeof value === "string" ? value : ""} onChange={(e) => onChange(nullable && e.target.value === "" ? null : e.target.value)} data-testid={tid} />;
  }
  return <JsonField {...p} />;
}
