"use client";
/**
 * The code node's "Code" setting: a preview with the server's type-error count, and a large Monaco editor
 * (a modal) with IntelliSense from the node's declarations and the schemas reaching its inputs, TypeScript
 * errors as markers and as a list, and ready snippets from a menu or as completions.
 */
import Editor, { type Monaco, type OnMount } from "@monaco-editor/react";
import { useEffect, useRef, useState } from "react";
import { SNIPPETS, snippetText } from "../../../../nodes/code/snippets";
import type { FieldProps } from "../fields";
import { setNodeLib, setupMonaco } from "./monaco-setup";
import { typeErrorLabel, useNodeDts, useTypeErrors } from "./use-code-types";

type CodeEditor = Parameters<OnMount>[0];
interface Problem {
  line: number;
  column: number;
  message: string;
}

export function CodeField({ nodeId, tid, value, onChange }: FieldProps) {
  const code = typeof value === "string" ? value : "";
  const [open, setOpen] = useState(false);
  const typeErrors = useTypeErrors(nodeId);
  const lines = code.split("\n");
  return (
    <div className="code-field">
      <pre className="code-preview mono" data-testid={`${tid}-preview`} onDoubleClick={() => setOpen(true)}>
        {lines.slice(0, 8).join("\n")}
        {lines.length > 8 ? "\n…" : ""}
      </pre>
      <div className="code-field-bar">
        <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="open-code-editor">
          Open editor
        </button>
        {typeErrors.length > 0 && (
          <span className="type-error-badge" data-testid="code-type-errors" title={typeErrors.map((i) => i.message).join("\n")}>
            {typeErrorLabel(typeErrors.length)}
          </span>
        )}
      </div>
      {open && <CodeEditorModal nodeId={nodeId} code={code} onChange={onChange} onClose={() => setOpen(false)} />}
    </div>
  );
}

function CodeEditorModal({ nodeId, code, onChange, onClose }: { nodeId: string; code: string; onChange: (v: string) => void; onClose: () => void }) {
  const dts = useNodeDts(nodeId);
  // @monaco-editor/react keeps the first beforeMount/onMount it is given: read the latest declarations from here.
  const dtsRef = useRef(dts);
  dtsRef.current = dts;
  const monacoRef = useRef<Monaco | undefined>(undefined);
  const editorRef = useRef<CodeEditor | undefined>(undefined);
  const [problems, setProblems] = useState<Problem[] | undefined>(undefined);
  const serverErrors = useTypeErrors(nodeId);

  useEffect(() => {
    if (monacoRef.current) setNodeLib(monacoRef.current, dts);
  }, [dts]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Inside the editor, Escape belongs to Monaco (closing its suggestions and widgets).
      if (e.key === "Escape" && !(e.target instanceof Element && e.target.closest(".monaco-editor"))) onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const insert = (id: string) => {
    const ed = editorRef.current;
    const s = SNIPPETS.find((x) => x.id === id);
    if (!ed || !s) return;
    ed.focus();
    const ctrl = ed.getContribution("snippetController2") as { insert(text: string): void } | null;
    if (ctrl) ctrl.insert(s.body);
    else ed.executeEdits("snippet", [{ range: ed.getSelection()!, text: snippetText(s.body), forceMoveMarkers: true }]);
  };
  const reveal = (p: Problem) => {
    const ed = editorRef.current;
    if (!ed) return;
    ed.revealLineInCenter(p.line);
    ed.setPosition({ lineNumber: p.line, column: p.column });
    ed.focus();
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal code-modal" role="dialog" aria-label="Code editor" data-testid="code-editor-modal">
        <header className="code-modal-head">
          <b>Code</b>
          <span className="muted small">TypeScript · run({"{ inputs, params, ctx }"}) in a sandbox · hover a name for its type, Ctrl+Space for completions</span>
          <span className="spacer" />
          <select className="input" value="" onChange={(e) => insert(e.target.value)} data-testid="code-snippets" aria-label="Insert a snippet">
            <option value="">Insert snippet…</option>
            {SNIPPETS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.title}
              </option>
            ))}
          </select>
          {problems && (
            <span className={problems.length ? "type-error-badge" : "type-ok-badge"} data-testid="code-editor-status" data-errors={problems.length}>
              {problems.length ? typeErrorLabel(problems.length) : "No type errors"}
            </span>
          )}
          <button type="button" className="btn" onClick={onClose} data-testid="code-editor-close">
            Done
          </button>
        </header>
        <div className="code-modal-body" data-testid="code-editor">
          <Editor
            height="100%"
            language="typescript"
            path={`file:///code-${nodeId}.ts`}
            defaultValue={code}
            theme="vs"
            loading={<div className="muted small">Loading the editor…</div>}
            options={{ fontSize: 13, minimap: { enabled: false }, scrollBeyondLastLine: false, automaticLayout: true, tabSize: 2, fixedOverflowWidgets: true }}
            beforeMount={(m) => {
              monacoRef.current = m;
              setupMonaco(m);
              setNodeLib(m, dtsRef.current);
            }}
            onMount={(ed, m) => {
              monacoRef.current = m;
              editorRef.current = ed;
              setNodeLib(m, dtsRef.current);
              ed.focus();
            }}
            onChange={(v) => onChange(v ?? "")}
            onValidate={(markers) => {
              const m = monacoRef.current;
              const errors = markers.filter((x) => !m || x.severity === m.MarkerSeverity.Error);
              setProblems(errors.map((x) => ({ line: x.startLineNumber, column: x.startColumn, message: x.message })));
            }}
          />
        </div>
        <footer className="code-modal-problems" data-testid="code-editor-problems">
          {problems === undefined ? (
            <span className="muted small">Checking…</span>
          ) : problems.length === 0 ? (
            <span className="ok small">No type errors.{serverErrors.length ? " (The node updates after the next check.)" : ""}</span>
          ) : (
            problems.map((p, i) => (
              <button type="button" key={i} className="issue issue-error clickable" onClick={() => reveal(p)} data-testid="code-editor-problem">
                Line {p.line}: {p.message}
              </button>
            ))
          )}
        </footer>
      </div>
    </div>
  );
}
