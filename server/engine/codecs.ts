/**
 * Port value ⇄ bytes. Tables persist as Arrow IPC files (the format DuckDB, pandas and polars read);
 * models and fitted transforms as a small bundle (JSON header + raw files such as TensorFlow.js
 * `weights.bin`); metrics, reports, charts and scalars as JSON.
 */
import { tableFromIPC, tableToIPC, type Table } from "apache-arrow";
import { tableInfo } from "../../nodes/core/arrow";
import type { PortType } from "../../nodes/core/ports";
import type { ModelValue, PortValue } from "../../nodes/core/values";
import type { ArtifactRef, ArtifactStore } from "./types";

const BUNDLE_MAGIC = 0x4c544231; // "LTB1"
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bundle: [magic u32][header length u32][header JSON][file bytes...]; header maps file names to spans. */
export function encodeBundle(json: unknown, files: Record<string, Uint8Array> = {}): Uint8Array {
  const spans: Record<string, [number, number]> = {};
  let off = 0;
  for (const [name, bytes] of Object.entries(files)) {
    spans[name] = [off, bytes.byteLength];
    off += bytes.byteLength;
  }
  const header = enc.encode(JSON.stringify({ json, files: spans }));
  const out = new Uint8Array(8 + header.byteLength + off);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, BUNDLE_MAGIC);
  dv.setUint32(4, header.byteLength);
  out.set(header, 8);
  let p = 8 + header.byteLength;
  for (const bytes of Object.values(files)) {
    out.set(bytes, p);
    p += bytes.byteLength;
  }
  return out;
}

export function decodeBundle(bytes: Uint8Array): { json: unknown; files: Record<string, Uint8Array> } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0) !== BUNDLE_MAGIC) throw new Error("Not a Lattice bundle artifact");
  const hlen = dv.getUint32(4);
  const header = JSON.parse(dec.decode(bytes.subarray(8, 8 + hlen))) as { json: unknown; files: Record<string, [number, number]> };
  const base = 8 + hlen;
  const files: Record<string, Uint8Array> = {};
  for (const [name, [o, l]] of Object.entries(header.files)) files[name] = bytes.slice(base + o, base + o + l);
  return { json: header.json, files };
}

export function encodeValue(type: PortType, value: PortValue): Uint8Array {
  switch (type) {
    case "table":
      return tableToIPC(value as Table, "file");
    case "model": {
      const m = value as ModelValue;
      return encodeBundle({ format: m.format, info: m.info, state: m.state }, m.files);
    }
    default:
      return enc.encode(JSON.stringify(value));
  }
}

export function decodeValue(type: PortType, bytes: Uint8Array): PortValue {
  switch (type) {
    case "table":
      return tableFromIPC(bytes);
    case "model": {
      const { json, files } = decodeBundle(bytes);
      const j = json as Omit<ModelValue, "files">;
      return { format: j.format, info: j.info, state: j.state, files };
    }
    default:
      return JSON.parse(dec.decode(bytes)) as PortValue;
  }
}

/** Encode and store a value; the ref carries the table schema so downstream design-time checks can use it. */
export async function storeValue(store: ArtifactStore, type: PortType, value: PortValue): Promise<ArtifactRef> {
  const bytes = encodeValue(type, value);
  const hash = await store.put(bytes);
  const ref: ArtifactRef = { hash, type, size: bytes.byteLength };
  if (type === "table") ref.table = tableInfo(value as Table);
  return ref;
}

export async function loadValue(store: ArtifactStore, ref: ArtifactRef): Promise<PortValue> {
  return decodeValue(ref.type, await store.get(ref.hash));
}
