// @zohocrm/nodejs-sdk-8.0 (an ES module) against a fresh crmd.
import * as Z from "@zohocrm/nodejs-sdk-8.0";
import { defineSuite } from "../lib/scenarios.mjs";

defineSuite("@zohocrm/nodejs-sdk-8.0 2.0.0", Z);
