"use client";
/**
 * Monaco for the code node, loaded from this origin (server/http/monaco-static.ts serves monaco-editor's
 * min/vs under /monaco/vs; its TypeScript worker comes from there too), set up once per page: compiler
 * options matching the server's check, the sandbox's helper API as an extra lib, and the snippets as
 * completions. Each open editor then sets its node's own declarations with {@link setNodeLib}.
 */
import { loader, type Monaco } from "@monaco-editor/react";
import type * as MonacoApi from "monaco-editor";
import { API_DTS, API_LIB_FILE, NODE_LIB_FILE } from "../../../../nodes/code/code-types";
import { SNIPPETS } from "../../../../nodes/code/snippets";

export const MONACO_VS = "/monaco/vs";
loader.config({ paths: { vs: MONACO_VS } });

/** Monaco ≥ 0.55 has the TypeScript service at the top level (`monaco.typescript`). */
type TsApi = typeof MonacoApi.typescript;
export const tsApi = (monaco: Monaco): TsApi => (monaco as unknown as { typescript: TsApi }).typescript;

let done: Monaco | undefined;
let nodeLib: { dispose(): void } | undefined;

export function setupMonaco(monaco: Monaco): void {
  if (done === monaco) return;
  done = monaco;
  const ts = tsApi(monaco);
  const defaults = ts.typescriptDefaults;
  // The same options as server/engine/sandbox/typecheck.ts (nodes/code/code-types.ts CODE_COMPILER_OPTIONS).
  defaults.setCompilerOptions({
    // Monaco's enum stops at ES2020; the lib option below is what limits the globals to the sandbox's.
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    lib: ["es2022"],
    strict: true,
    noImplicitAny: false,
    noEmit: true,
    isolatedModules: true,
    allowNonTsExtensions: true,
  });
  defaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  defaults.setEagerModelSync(true);
  defaults.addExtraLib(API_DTS, `file:///${API_LIB_FILE}`);
  monaco.languages.registerCompletionItemProvider("typescript", {
    provideCompletionItems(model: MonacoApi.editor.ITextModel, position: MonacoApi.Position) {
      // Not inside a string or a comment (e.g. column("…") offers column names, not snippets): tokenize the
      // code up to the cursor, so strings and comments spanning lines count too.
      const before = model.getValueInRange({ startLineNumber: 1, startColumn: 1, endLineNumber: position.lineNumber, endColumn: position.column });
      const last = monaco.editor.tokenize(before, "typescript").at(-1)?.at(-1);
      if (last && /string|comment|regexp/.test(last.type)) return { suggestions: [] };
      const word = model.getWordUntilPosition(position);
      const range = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: word.startColumn, endColumn: word.endColumn };
      return {
        suggestions: SNIPPETS.map((s) => ({
          label: `snippet: ${s.title}`,
          kind: monaco.languages.CompletionItemKind.Snippet,
          detail: s.detail,
          documentation: s.body,
          insertText: s.body,
          insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
          filterText: `${s.id} ${s.title}`,
          sortText: `~${s.title}`,
          range,
        })),
      };
    },
  });
}

/** Replaces the open node's declarations (inputs, params, outputs) that completion, hover and checks use. */
export function setNodeLib(monaco: Monaco, dts: string): void {
  nodeLib?.dispose();
  nodeLib = tsApi(monaco).typescriptDefaults.addExtraLib(dts, `file:///${NODE_LIB_FILE}`);
}
