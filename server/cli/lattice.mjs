#!/usr/bin/env node
// `npx lattice …` entry: Lattice is written in TypeScript and runs through tsx's loader, in the CLI as in
// the server, so there is no separate build step to forget.
import { register } from "tsx/esm/api";

register();
await import("./cli.ts");
