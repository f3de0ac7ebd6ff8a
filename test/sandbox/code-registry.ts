/** Registry for the code node's executor test (thread workers import it by URL). */
import codeNode from "../../nodes/code/code-node";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import { createRegistry } from "../../nodes/core/registry";

export const registry = createRegistry([codeNode] as unknown as AnyNodeDefinition[]);
