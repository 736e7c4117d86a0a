// @zohocrm/typescript-sdk-2.1 (API v2.1, through the compiled JavaScript in dist/) against a fresh crmd.
import { loadSDK } from "../lib/sdks.mjs";
import { defineOperations } from "../lib/operations.mjs";

defineOperations(await loadSDK("@zohocrm/typescript-sdk-2.1"));
