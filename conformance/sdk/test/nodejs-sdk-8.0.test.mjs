// @zohocrm/nodejs-sdk-8.0 (API v8, an ES module) against a fresh crmd: the operations of docs/sdks.md's table.
// test/nodejs-sdk-8.0-mass-delete.test.mjs drives the same SDK through mass delete in depth (lib/scenarios.mjs).
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("@zohocrm/nodejs-sdk-8.0"));
