/**
 * User TypeScript → JavaScript for the sandbox. esbuild strips types (no type checking here: the editor and
 * the design-time check report type errors); its source map lets runtime errors point at the user's lines.
 */
import { transformSync, type Message } from "esbuild";
import { NodeUserError } from "../../../nodes/core/errors";

/** File name the user's code has in stack traces and messages. */
export const USER_FILE = "code.ts";

export interface CompiledCode {
  js: string;
  /** `lines[generatedLine - 1]` = segments [generatedColumn, originalLine, originalColumn], 0-based. */
  lines: Array<Array<[number, number, number]>>;
}

/** Compiles the code or throws a NodeUserError (`code_syntax`) naming the user's line. */
export function compileUserCode(code: string): CompiledCode {
  let out;
  try {
    out = transformSync(code, { loader: "ts", format: "esm", target: "es2022", sourcemap: "external", sourcefile: USER_FILE, logLevel: "silent" });
  } catch (e) {
    const first = (e as { errors?: Message[] }).errors?.[0];
    const where = first?.location ? ` (line ${first.location.line}, column ${first.location.column + 1})` : "";
    throw new NodeUserError("code_syntax", `Your code does not compile: ${first?.text ?? String(e)}${where}.`, { field: "code" });
  }
  const map = JSON.parse(out.map) as { mappings: string };
  return { js: out.code, lines: decodeMappings(map.mappings) };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes a source map's VLQ `mappings` (single source) into per-line segments. */
export function decodeMappings(mappings: string): Array<Array<[number, number, number]>> {
  const lines: Array<Array<[number, number, number]>> = [];
  let origLine = 0;
  let origCol = 0;
  for (const lineText of mappings.split(";")) {
    const segs: Array<[number, number, number]> = [];
    let genCol = 0;
    for (const seg of lineText.split(",")) {
      if (!seg) continue;
      const v = decodeVlq(seg);
      genCol += v[0] ?? 0;
      if (v.length >= 4) {
        origLine += v[2]!;
        origCol += v[3]!;
        segs.push([genCol, origLine, origCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

function decodeVlq(s: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of s) {
    const d = B64_INDEX.get(ch) ?? 0;
    value += (d & 31) << shift;
    if (d & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** The user's 1-based line (and column) for a 1-based generated position, or undefined when unmapped. */
export function originalPosition(c: CompiledCode, line: number, column = 1): { line: number; column: number } | undefined {
  const segs = c.lines[line - 1];
  if (!segs || segs.length === 0) return undefined;
  let best = segs[0]!;
  for (const s of segs) if (s[0] <= column - 1) best = s;
  return { line: best[1] + 1, column: best[2] + 1 };
}

/** Rewrites `code.ts:L:C` positions in a QuickJS stack trace to the user's own lines. */
export function mapStack(c: CompiledCode, stack: string): string {
  return stack.replace(/code\.ts:(\d+)(?::(\d+))?/g, (all, l: string, col?: string) => {
    const p = originalPosition(c, Number(l), col ? Number(col) : 1);
    return p ? `${USER_FILE}:${p.line}:${p.column}` : all;
  });
}

/** The user's line of the innermost frame in their code, if any. */
export function userLine(c: CompiledCode, stack: string): number | undefined {
  const m = /code\.ts:(\d+)(?::(\d+))?/.exec(stack);
  if (!m) return undefined;
  return originalPosition(c, Number(m[1]), m[2] ? Number(m[2]) : 1)?.line;
}
