/**
 * Type-checks a code node's TypeScript with the TypeScript compiler, against the sandbox's helper API and the
 * node's own declarations (nodes/code/code-types.ts), with the options the editor uses. The standard library
 * files are parsed once per process and reused; the user's file and the node's declarations are parsed per
 * check. Synchronous and CPU-bound: typecheck-service.ts runs it off the event loop.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { API_DTS, API_LIB_FILE, CODE_COMPILER_OPTIONS, NODE_LIB_FILE } from "../../../nodes/code/code-types";
import { USER_FILE } from "./transpile";

/** One problem in the user's code, at a 1-based line and column of their file. */
export interface TypeProblem {
  line: number;
  column: number;
  message: string;
  /** TypeScript's error number (e.g. 2322), as Monaco shows it. */
  code: number;
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  lib: CODE_COMPILER_OPTIONS.lib.map((l) => `lib.${l}.d.ts`),
  strict: CODE_COMPILER_OPTIONS.strict,
  noImplicitAny: CODE_COMPILER_OPTIONS.noImplicitAny,
  noEmit: true,
  isolatedModules: CODE_COMPILER_OPTIONS.isolatedModules,
  types: [],
  noResolve: false,
};

const libDir = path.dirname(ts.getDefaultLibFilePath(OPTIONS));
/** Parsed once: the standard library and the helper API do not change between checks. */
const shared = new Map<string, ts.SourceFile>();

function sharedFile(fileName: string, text: () => string): ts.SourceFile {
  let sf = shared.get(fileName);
  if (!sf) {
    sf = ts.createSourceFile(fileName, text(), ts.ScriptTarget.ES2022, true);
    shared.set(fileName, sf);
  }
  return sf;
}

/** Problems in `code` (syntax and types), sorted by position; only those in the user's own file. */
export function typecheckCode(code: string, nodeDts: string): TypeProblem[] {
  const own = new Map<string, ts.SourceFile>([
    [USER_FILE, ts.createSourceFile(USER_FILE, code, ts.ScriptTarget.ES2022, true)],
    [NODE_LIB_FILE, ts.createSourceFile(NODE_LIB_FILE, nodeDts, ts.ScriptTarget.ES2022, true)],
  ]);
  const host: ts.CompilerHost = {
    getSourceFile: (name) => {
      const base = path.basename(name);
      if (own.has(name)) return own.get(name);
      if (name === API_LIB_FILE) return sharedFile(API_LIB_FILE, () => API_DTS);
      if (name.startsWith(libDir) || /^lib\..*\.d\.ts$/.test(base)) {
        const full = path.join(libDir, base);
        return sharedFile(full, () => readFileSync(full, "utf8"));
      }
      return undefined;
    },
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    writeFile: () => {},
    getCurrentDirectory: () => "",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => own.has(f) || f === API_LIB_FILE || f.startsWith(libDir),
    readFile: () => undefined,
    // Imports are not available in the sandbox; TypeScript reports them as unresolved.
    resolveModuleNameLiterals: (lits) => lits.map(() => ({ resolvedModule: undefined })),
  };
  const program = ts.createProgram({ rootNames: [API_LIB_FILE, NODE_LIB_FILE, USER_FILE], options: OPTIONS, host });
  const file = program.getSourceFile(USER_FILE)!;
  const diags = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return diags
    .filter((d) => d.category === ts.DiagnosticCategory.Error && d.file === file && d.start !== undefined)
    .sort((a, b) => a.start! - b.start!)
    .map((d) => {
      const pos = file.getLineAndCharacterOfPosition(d.start!);
      return { line: pos.line + 1, column: pos.character + 1, message: ts.flattenDiagnosticMessageText(d.messageText, "\n"), code: d.code };
    });
}
