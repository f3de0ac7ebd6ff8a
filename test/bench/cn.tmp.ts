import { benchCodeNode } from "./code-node.bench";
import { printResults } from "./stats";
printResults("code", await benchCodeNode());
