"use client";
/**
 * The React Flow canvas: drop nodes from the palette (HTML5 drag + screenToFlowPosition), connect ports with
 * the same check the compiler uses (refusals explained in a toast), delete with Backspace/Delete.
 */
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useReactFlow, type Connection, type Edge, type FinalConnectionState, type IsValidConnection } from "@xyflow/react";
import { useCallback, useMemo, useRef, useState, type DragEvent } from "react";
import { checkConnection } from "../../../server/graph/check-connection";
import { CATEGORY_COLOR, defaultParams, nodePorts, PORT_COLOR, registry } from "../../_lib/nodes";
import { LatticeNodeComponent } from "./lattice-node";
import { actions, toWorkflow, useEditor, type LatticeNode } from "./store";

export const DRAG_MIME = "application/x-lattice-node";
const nodeTypes = { lattice: LatticeNodeComponent };

function newNodeId(kind: string, taken: Set<string>): string {
  const base = kind.split("/").pop()!.replace(/[^a-z0-9]+/gi, "-");
  for (let i = 1; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

function toEdge(c: Connection | Edge) {
  return { source: c.source, sourcePort: c.sourceHandle ?? "", target: c.target, targetPort: c.targetHandle ?? "" };
}

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const issues = useEditor((s) => s.issues);
  const { screenToFlowPosition } = useReactFlow();
  const lastRefusal = useRef<string | undefined>(undefined);
  // Fit an opened workflow once; never re-fit an empty canvas when the first node drops in.
  const [fitOnOpen] = useState(() => useEditor.getState().nodes.length > 0);

  const styledEdges = useMemo(() => {
    const bad = new Set(issues.filter((i) => i.edgeId).map((i) => i.edgeId));
    return edges.map((e) => {
      const src = nodes.find((n) => n.id === e.source);
      const def = src && registry.get(src.data.kind);
      const type = def && nodePorts(def, src.data.params).outputs[e.sourceHandle ?? ""]?.type;
      const color = bad.has(e.id) ? "#dc2626" : type ? PORT_COLOR[type] : "#94a3b8";
      return { ...e, style: { stroke: color, strokeWidth: e.selected ? 2.6 : 1.8 }, className: bad.has(e.id) ? "edge-bad" : undefined };
    });
  }, [edges, nodes, issues]);

  const isValidConnection: IsValidConnection = useCallback((c) => {
    const reason = checkConnection(toWorkflow(), registry, toEdge(c));
    lastRefusal.current = reason;
    return reason === undefined;
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const e = toEdge(c);
    const reason = checkConnection(toWorkflow(), registry, e);
    if (reason) {
      actions.toast("error", reason);
      return;
    }
    actions.addEdge({ id: `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`, source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle });
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.toHandle && !state.isValid && lastRefusal.current) actions.toast("error", lastRefusal.current);
    lastRefusal.current = undefined;
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(DRAG_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_MIME);
      const def = kind ? registry.get(kind) : undefined;
      if (!def) return;
      e.preventDefault();
      const pos = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const taken = new Set(useEditor.getState().nodes.map((n) => n.id));
      const node: LatticeNode = {
        id: newNodeId(kind, taken),
        type: "lattice",
        position: { x: Math.round(pos.x - 110), y: Math.round(pos.y - 24) },
        data: { kind, version: def.version, params: defaultParams(def) },
      };
      actions.addNode(node);
    },
    [screenToFlowPosition],
  );

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<LatticeNode>
        nodes={nodes}
        edges={styledEdges}
        nodeTypes={nodeTypes}
        onNodesChange={actions.onNodesChange}
        onEdgesChange={actions.onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onPaneClick={() => actions.select(undefined)}
        deleteKeyCode={["Backspace", "Delete"]}
        fitView={fitOnOpen}
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        minZoom={0.2}
        maxZoom={2}
        attributionPosition="top-right"
        defaultEdgeOptions={{ type: "default" }}
        connectionRadius={28}
      >
        <Background variant={BackgroundVariant.Dots} gap={18} size={1.2} color="#cbd5e1" />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={(n) => CATEGORY_COLOR[registry.get((n.data as { kind: string }).kind)?.category ?? ""] ?? "#94a3b8"} />
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="canvas-empty">
          <h3>Start by dragging a node here</h3>
          <p>Pick a data source from the palette on the left (for example “File”), then add steps and connect their ports.</p>
        </div>
      )}
    </div>
  );
}
