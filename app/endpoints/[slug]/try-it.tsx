"use client";
/**
 * Calling the endpoint: curl and TypeScript snippets filled with the slug and input schema, and a "try it" form
 * with one field per input column (category dropdowns) that calls the public predict API with an API key.
 */
import { useEffect, useMemo, useState } from "react";
import type { EndpointDetail } from "../../../server/serving/types";
import { formatNumber } from "../../_lib/format";
import styles from "../endpoints.module.css";
import { CopyButton } from "./keys";
import { curlSnippet, exampleRow, formToRow, openApiPath, predict, typescriptSnippet, type PredictAnswer } from "./request";

export function Snippets({ detail }: { detail: EndpointDetail }) {
  const [tab, setTab] = useState<"curl" | "ts">("curl");
  const [origin, setOrigin] = useState("http://localhost:3000");
  useEffect(() => setOrigin(window.location.origin), []);
  const row = useMemo(() => exampleRow(detail.input), [detail.input]);
  const text = tab === "curl" ? curlSnippet(origin, detail.slug, row) : typescriptSnippet(origin, detail.slug, detail.input, row);
  return (
    <section className={styles.section} data-testid="snippets">
      <div className={styles.sectionHead}>
        <h2>Call it</h2>
        <div className={styles.tabs}>
          <button className={tab === "curl" ? styles.active : undefined} onClick={() => setTab("curl")} data-testid="tab-curl">curl</button>
          <button className={tab === "ts" ? styles.active : undefined} onClick={() => setTab("ts")} data-testid="tab-ts">TypeScript</button>
        </div>
        <span className="spacer" />
        <a href={openApiPath(detail.slug)} target="_blank" rel="noreferrer" className="small">OpenAPI document</a>
      </div>
      <div className={styles.code}>
        <pre data-testid="snippet">{text}</pre>
        <span className={styles.copy}><CopyButton text={text} /></span>
      </div>
      <span className="muted small">Send one row, an array of rows or <code>{"{ rows: [...] }"}</code> (up to 10,000), or CSV with <code>Content-Type: text/csv</code>. The <code>x-lattice-version</code> response header says which version answered.</span>
    </section>
  );
}

function Answer({ answer }: { answer: PredictAnswer }) {
  const body = answer.body as { version?: number; predictions?: Array<{ prediction: unknown; probabilities?: Record<string, number> }>; error?: { code: string; message: string; errors?: Array<{ field: string; message: string }> } };
  const first = body?.predictions?.[0];
  return (
    <div className={styles.answer} data-testid="try-answer" data-status={answer.status}>
      {answer.status === 200 && first ? (
        <>
          <span className="muted small">HTTP 200 · answered by version {answer.version ?? body.version}</span>
          <span className={styles.prediction} data-testid="try-prediction">{String(first.prediction)}</span>
          {first.probabilities && (
            <div className={styles.probs}>
              {Object.entries(first.probabilities).map(([cls, p]) => (
                <div key={cls} className={styles.prob}>
                  <span className="mono">{cls}</span>
                  <span className={styles.probBar}><i style={{ width: `${Math.round(p * 100)}%` }} /></span>
                  <span className="mono">{formatNumber(p)}</span>
                </div>
              ))}
            </div>
          )}
        </>
      ) : (
        <>
          <b className="err">HTTP {answer.status}{body?.error ? ` · ${body.error.code}` : ""}</b>
          <span>{body?.error?.message ?? String(answer.body)}</span>
          {body?.error?.errors && (
            <ul style={{ margin: 0 }}>
              {body.error.errors.map((e, i) => (
                <li key={i}><b>{e.field}</b>: {e.message}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <details>
        <summary className="small muted">Response body</summary>
        <pre className="json">{JSON.stringify(answer.body, null, 2)}</pre>
      </details>
    </div>
  );
}

export function TryIt({ detail, apiKey, onKeyChange }: { detail: EndpointDetail; apiKey: string; onKeyChange(k: string): void }) {
  // datetime-local inputs take YYYY-MM-DDTHH:MM[:SS] without an offset.
  const initial = useMemo(() => Object.fromEntries(Object.entries(exampleRow(detail.input)).map(([k, v]) => [k, v === null ? "" : String(v).replace(/Z$/, "")])), [detail.input]);
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<PredictAnswer | undefined>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | undefined>();

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    const { row, errors: errs } = formToRow(detail.input, values);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setFailure(undefined);
    try {
      setAnswer(await predict(detail.slug, apiKey, [row]));
    } catch (err) {
      setFailure(`The request did not reach Lattice: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  if (detail.liveVersion === null) return null;
  return (
    <section className={styles.section} data-testid="try-it">
      <h2>Try it</h2>
      <form onSubmit={(e) => void send(e)} style={{ display: "flex", flexDirection: "column", gap: 12 }}>
        <label className={styles.field} style={{ maxWidth: 520 }}>
          <span>API key</span>
          <input className="input mono" value={apiKey} onChange={(e) => onKeyChange(e.target.value)} placeholder="lat_… (paste a key, or create one above)" required data-testid="try-key" />
        </label>
        <div className={styles.form}>
          {detail.input.map((f) => (
            <label key={f.name} className={styles.field}>
              <span>
                {f.name}
                <span className="dtype">{f.dtype}</span>
                {f.nullable && <span className="muted small">optional</span>}
              </span>
              {f.categories?.length ? (
                <select className="input" value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} data-testid={`try-field-${f.name}`}>
                  {f.nullable && <option value="">(missing)</option>}
                  {f.categories.map((c) => (
                    <option key={c} value={c}>{c}</option>
                  ))}
                </select>
              ) : f.dtype === "boolean" ? (
                <select className="input" value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} data-testid={`try-field-${f.name}`}>
                  {f.nullable && <option value="">(missing)</option>}
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : f.dtype === "date" || f.dtype === "datetime" ? (
                <input
                  className="input"
                  type={f.dtype === "date" ? "date" : "datetime-local"}
                  step={f.dtype === "datetime" ? 1 : undefined}
                  value={values[f.name] ?? ""}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                  title={f.dtype === "datetime" ? (f.timezone ? `Your local time; sent as UTC (the column holds instants, time zone ${f.timezone}).` : "Sent as written (the column holds wall-clock times).") : "YYYY-MM-DD"}
                  aria-invalid={!!errors[f.name]}
                  data-testid={`try-field-${f.name}`}
                />
              ) : (
                <input
                  className="input"
                  inputMode={f.dtype === "string" ? "text" : "decimal"}
                  value={values[f.name] ?? ""}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                  placeholder={f.nullable ? "blank = missing" : undefined}
                  aria-invalid={!!errors[f.name]}
                  data-testid={`try-field-${f.name}`}
                />
              )}
              {errors[f.name] && <span className={styles.fieldError}>{errors[f.name]}</span>}
            </label>
          ))}
        </div>
        <div className="row">
          <button className="btn btn-primary" type="submit" disabled={busy || !apiKey.trim()} data-testid="try-send">{busy ? "Predicting…" : "Predict"}</button>
          <button className="btn" type="button" onClick={() => { setValues(initial); setErrors({}); }}>Reset</button>
        </div>
      </form>
      {failure && <div className="error-box" role="alert"><b>{failure}</b></div>}
      {answer && <Answer answer={answer} />}
    </section>
  );
}
