"use client";
/** The workflow editor page: top bar, palette, canvas, inspector, runs drawer, status bar. */
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { defaultParams, registry } from "../../_lib/nodes";
import { describeCallError } from "../../_lib/trpc";
import { Canvas } from "./canvas";
import { Inspector } from "./inspector";
import { Palette } from "./palette";
import { loadWorkflow, save, stopFollowing } from "./run-control";
import { RunsDrawer } from "./runs-drawer";
import { StatusBar } from "./status-bar";
import { actions, useEditor } from "./store";
import { Toasts } from "./toasts";
import { TopBar } from "./top-bar";
import { useAnalyze } from "./use-analyze";

function EditorBody({ id }: { id: string }) {
  const [error, setError] = useState<string | undefined>();
  const loaded = useEditor((s) => s.workflowId === id);
  const { screenToFlowPosition } = useReactFlow();
  useAnalyze();

  useEffect(() => {
    setError(undefined);
    loadWorkflow(id).catch((e: unknown) => setError(describeCallError(e).message));
    return () => stopFollowing();
  }, [id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") {
        e.preventDefault();
        void save();
      }
    };
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (useEditor.getState().dirty) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("beforeunload", beforeUnload);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("beforeunload", beforeUnload);
    };
  }, []);

  /** Double-click in the palette: add near the middle of the view. */
  const addAtCenter = useCallback(
    (kind: string) => {
      const def = registry.get(kind);
      if (!def) return;
      const el = document.querySelector(".canvas")?.getBoundingClientRect();
      const pos = screenToFlowPosition({ x: (el?.left ?? 0) + (el?.width ?? 800) / 2, y: (el?.top ?? 0) + (el?.height ?? 600) / 2 });
      const taken = new Set(useEditor.getState().nodes.map((n) => n.id));
      const base = kind.split("/").pop()!;
      let i = 1;
      while (taken.has(`${base}-${i}`)) i++;
      actions.addNode({ id: `${base}-${i}`, type: "lattice", position: { x: pos.x - 110 + i * 12, y: pos.y - 40 + i * 12 }, data: { kind, version: def.version, params: defaultParams(def) } });
    },
    [screenToFlowPosition],
  );

  if (error) {
    return (
      <div className="page-error">
        <h2>Could not open this workflow</h2>
        <p>{error}</p>
        <a href="/" className="btn">Back to all workflows</a>
      </div>
    );
  }
  return (
    <div className="editor">
      <TopBar />
      <div className="editor-main">
        <Palette onAdd={addAtCenter} />
        {loaded ? <Canvas /> : <div className="canvas loading">Loading…</div>}
        <Inspector />
        <RunsDrawer />
      </div>
      <StatusBar />
      <Toasts />
    </div>
  );
}

export function Editor({ id }: { id: string }) {
  return (
    <ReactFlowProvider>
      <EditorBody id={id} />
    </ReactFlowProvider>
  );
}
