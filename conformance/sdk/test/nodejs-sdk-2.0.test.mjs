// @zohocrm/nodejs-sdk-2.0 (API v2) against a fresh crmd.
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("@zohocrm/nodejs-sdk-2.0"));
