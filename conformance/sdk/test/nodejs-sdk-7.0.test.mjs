// @zohocrm/nodejs-sdk-7.0 (API v7, an ES module) against a fresh crmd.
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("@zohocrm/nodejs-sdk-7.0"));
