"use client";
/** The declarations (nodes/code/code-types.ts) for one code node on the canvas, from the editor's store. */
import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import codeNode from "../../../../nodes/code/code-node";
import { nodeDts } from "../../../../nodes/code/code-types";
import type { PortInfo } from "../../../../nodes/core/schema";
import { useEditor } from "../store";

export const CODE_KIND = codeNode.kind;
export const TYPE_ERROR = "code_type_error";

/** The code node's parsed params, or undefined while they do not parse. */
export function useCodeParams(nodeId: string) {
  const raw = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.data.params);
  return useMemo(() => {
    const r = codeNode.params.safeParse(raw ?? {});
    return r.success ? r.data : undefined;
  }, [raw]);
}

/** `.d.ts` text for the node's inputs (with the columns reaching them), params and outputs. */
export function useNodeDts(nodeId: string): string {
  const params = useCodeParams(nodeId);
  const infos = useEditor(
    useShallow((s) => {
      const out: Record<string, PortInfo | undefined> = {};
      for (const e of s.edges) if (e.target === nodeId && e.targetHandle) out[e.targetHandle] = s.infos[e.source]?.[e.sourceHandle ?? ""];
      return out;
    }),
  );
  return useMemo(() => nodeDts({ inputs: params?.inputs ?? [], outputs: params?.outputs ?? [], parameters: params?.parameters ?? [], infos }), [params, infos]);
}

/** The server's type errors for the node (from the last analysis). */
export function useTypeErrors(nodeId: string) {
  return useEditor(useShallow((s) => s.issues.filter((i) => i.nodeId === nodeId && i.code === TYPE_ERROR)));
}

export const typeErrorLabel = (n: number) => `${n} type error${n === 1 ? "" : "s"}`;
