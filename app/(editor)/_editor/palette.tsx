"use client";
/** Node palette grouped by category, with search. Items are dragged onto the canvas (or double-clicked). */
import { useMemo, useState, type DragEvent } from "react";
import { CATEGORY_COLOR, PORT_COLOR, paletteGroups } from "../../_lib/nodes";
import { DRAG_MIME } from "./canvas";

export function Palette({ onAdd }: { onAdd: (kind: string) => void }) {
  const [q, setQ] = useState("");
  const groups = useMemo(() => paletteGroups(q), [q]);
  const onDragStart = (e: DragEvent, kind: string) => {
    e.dataTransfer.setData(DRAG_MIME, kind);
    e.dataTransfer.effectAllowed = "move";
  };
  return (
    <aside className="palette">
      <div className="palette-search">
        <input type="search" placeholder="Search nodes…" value={q} onChange={(e) => setQ(e.target.value)} data-testid="palette-search" aria-label="Search nodes" />
      </div>
      <div className="palette-list">
        {groups.length === 0 && <p className="muted pad">No node matches “{q}”.</p>}
        {groups.map((g) => (
          <section key={g.category}>
            <h4 style={{ color: CATEGORY_COLOR[g.category] }}>{g.category}</h4>
            {g.defs.map((d) => (
              <div
                key={d.kind}
                className="palette-item"
                draggable
                onDragStart={(e) => onDragStart(e, d.kind)}
                onDoubleClick={() => onAdd(d.kind)}
                title={`${d.description}\n\nDrag onto the canvas (or double-click to add).`}
                data-testid={`palette-item-${d.kind}`}
              >
                <span className="palette-dot" style={{ background: CATEGORY_COLOR[d.category] }} />
                <span className="palette-title">{d.title}</span>
                <span className="palette-ports">
                  {Object.values(d.outputs).map((p, i) => (
                    <i key={i} style={{ background: PORT_COLOR[p.type] }} />
                  ))}
                </span>
              </div>
            ))}
          </section>
        ))}
      </div>
    </aside>
  );
}
