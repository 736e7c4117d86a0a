// Watches an SDK's JSON parser and records every value crmd sent whose JSON kind is not what the
// SDK's model declares for its key (config/json_details.json: a String given an object, a structure
// given a string, a List given an object …). The SDKs do not check this themselves: they assign the
// wrong value and go on, and the damage shows later (a lookup's target module read as "[object
// Object]", say). Only the kind is compared, not the value.
//
// Every SDK parses a response with JSONConverter.getData(keyData, memberDetail) for each key of a
// model class, where memberDetail is {name: <wire key>, type, structure_name?}; getResponse(json,
// classPath) and isRecordResponse(json, classDetail, classPath) say which class is being filled.

import assert from "node:assert/strict";

const scalarKinds = {
  String: ["string"], Long: ["string", "number"], Integer: ["number"], Double: ["number"], Float: ["number"],
  Boolean: ["boolean"], DateTime: ["string"], Date: ["string"], LocalDate: ["string"], OffsetDateTime: ["string"],
};

function kind(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function shortType(t) {
  return String(t).replace(/^com\.zoho\.crm\.api\.|^core\/com\/zoho\/crm\/api\//, "");
}

// Patches JSONConverter (the class the SDK parses with) and returns {mismatches, values}: the map the
// mismatches go to ({model, key, expected, got, sample}, each one recorded once) and how many values
// were compared (so that a test can tell a clean parse from no parse at all).
export function watchModel(JSONConverter) {
  const seen = new Map();
  let values = 0;
  const stack = [];
  const proto = JSONConverter.prototype;
  const record = (key, expected, v) => {
    const model = stack.at(-1) ?? "?";
    const k = `${model} ${key}`;
    if (seen.has(k)) return;
    seen.set(k, { model, key, expected, got: kind(v), sample: JSON.stringify(v)?.slice(0, 160) });
  };
  for (const m of ["getResponse", "isRecordResponse"]) {
    const orig = proto[m];
    if (typeof orig !== "function") continue;
    proto[m] = async function (...args) {
      stack.push(shortType(args[args.length - 1] ?? "?"));
      try { return await orig.apply(this, args); } finally { stack.pop(); }
    };
  }
  const getData = proto.getData;
  proto.getData = async function (keyData, memberDetail) {
    if (keyData != null && memberDetail) {
      values++;
      const type = String(memberDetail.type ?? "");
      const structure = memberDetail.structure_name;
      const key = memberDetail.name;
      const isChoice = /choice$/i.test(type) || /choice$/i.test(structure ?? "");
      if (type.toLowerCase() === "list" || /\.List$|^List$/.test(type)) {
        if (!Array.isArray(keyData)) record(key, "List", keyData);
        else if (structure && !isChoice) {
          for (const item of keyData) if (item !== null && kind(item) !== "object") { record(key, `List of ${shortType(structure)}`, item); break; }
        }
      } else if (/^(map|hashmap)$/i.test(type) || /\.(Hash)?Map$/.test(type)) {
        if (kind(keyData) !== "object") record(key, "Map", keyData);
      } else if (isChoice) {
        if (kind(keyData) === "object" || kind(keyData) === "array") record(key, "Choice (a scalar)", keyData);
      } else if (structure) {
        if (kind(keyData) !== "object") record(key, shortType(structure), keyData);
      } else {
        const want = scalarKinds[type.replace(/^.*\./, "")];
        if (want && !want.includes(kind(keyData))) record(key, type.replace(/^.*\./, ""), keyData);
      }
    }
    return getData.call(this, keyData, memberDetail);
  };
  return { mismatches: seen, values: () => values };
}

// The body of a suite's model test: the parser compared values (a clean run is not an empty one) and
// none had the wrong kind; each mismatch is reported as a diagnostic and in the failure.
export function assertModelKept(model, t) {
  assert.ok(model.values() > 100, `the parser compared only ${model.values()} values`);
  t.diagnostic(`${model.values()} values compared with the SDK's model`);
  const list = [...model.mismatches.values()].map((m) => `${m.model}.${m.key}: the SDK expects ${m.expected}, crmd sent ${m.got} ${m.sample}`);
  for (const l of list) t.diagnostic(l);
  assert.deepEqual(list, []);
}
