/**
 * The code node's server-side type check (its `check` hook): builds the node's declarations and checks the
 * code, memoized by code + declarations, so re-analysing a graph whose code nodes did not change costs
 * nothing. A check takes ~40 ms once the standard library is parsed (~0.5 s, once per process); it runs on the
 * calling thread, which at design time is the API's.
 */
import { createHash } from "node:crypto";
import { nodeDts, type NodeTypesInput } from "../../../nodes/code/code-types";
import { typecheckCode, type TypeProblem } from "./typecheck";

const MAX_ENTRIES = 200;
const memo = new Map<string, TypeProblem[]>();

/** Type problems in a code node's code, given its declarations and the schemas reaching its inputs. */
export async function typecheckCodeNode(n: NodeTypesInput & { code: string }): Promise<TypeProblem[]> {
  const dts = nodeDts(n);
  const key = createHash("sha256").update(n.code).update("\0").update(dts).digest("hex");
  let hit = memo.get(key);
  if (!hit) {
    hit = typecheckCode(n.code, dts);
    if (memo.size >= MAX_ENTRIES) memo.delete(memo.keys().next().value!);
  } else memo.delete(key);
  memo.set(key, hit);
  return hit;
}
