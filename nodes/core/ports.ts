/**
 * Typed ports. An edge may only join an output and an input of the same port type; the compiler and the
 * editor's connect-time check both use {@link portsCompatible}.
 */

export const PORT_TYPES = ["table", "model", "transform", "metrics", "report", "chart", "scalar"] as const;
export type PortType = (typeof PORT_TYPES)[number];

/** Human names used in error messages and port tooltips. */
export const PORT_TYPE_LABEL: Record<PortType, string> = {
  table: "table",
  model: "trained model",
  transform: "fitted transform",
  metrics: "metrics",
  report: "report",
  chart: "chart data",
  scalar: "value",
};

export interface PortSpec<T extends PortType = PortType> {
  type: T;
  label?: string;
  description?: string;
  /** Inputs only: the node can run without this input connected. */
  optional?: boolean;
}

type PortOptions = Omit<PortSpec, "type">;

function make<T extends PortType>(type: T) {
  // `const O` keeps `optional: true` as a literal so run()'s input/output types know the port may be absent.
  return <const O extends PortOptions = {}>(opts?: O): PortSpec<T> & O => ({ type, ...opts }) as PortSpec<T> & O;
}

/** Port constructors: `port.table()`, `port.model({ optional: true })`, ... */
export const port = {
  table: make("table"),
  model: make("model"),
  transform: make("transform"),
  metrics: make("metrics"),
  report: make("report"),
  chart: make("chart"),
  scalar: make("scalar"),
};

export function portsCompatible(out: PortType, input: PortType): boolean {
  return out === input;
}
