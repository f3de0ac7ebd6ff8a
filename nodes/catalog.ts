/**
 * The explicit list of node kinds (ComfyUI's get_node_list idea, not a directory scan). Adding a node
 * means adding it here; test/nodes/catalog.test.ts checks kinds are unique and every default parses.
 */
import type { AnyNodeDefinition } from "./core/define-node";
import { createRegistry } from "./core/registry";

export const NODE_DEFINITIONS: readonly AnyNodeDefinition[] = [];

export const registry = createRegistry(NODE_DEFINITIONS);
