// @zohocrm/typescript-sdk-6.0 (API v6, through the compiled JavaScript in dist/) against a fresh crmd.
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("@zohocrm/typescript-sdk-6.0"));
