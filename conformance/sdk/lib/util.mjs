// Small helpers every suite's assertions use.
import assert from "node:assert/strict";

// Renders SDK objects for assertion messages (BigInt, Map and Choice included).
export function show(v) {
  return JSON.stringify(v, (k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x));
}

// Asserts that v is a Date the SDK parsed from a real timestamp.
export function assertDate(v, what) {
  assert.ok(v instanceof Date && !Number.isNaN(v.getTime()), `${what}: want a valid Date, got ${v}`);
}
