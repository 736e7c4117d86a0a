// zcrmsdk 1.1.0 (Zoho's first Node.js SDK of the new generation, API v2) against a fresh crmd.
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("zcrmsdk"));
