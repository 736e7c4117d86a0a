// @zohocrm/typescript-sdk-8.0 against a fresh crmd, through the compiled JavaScript (CommonJS) and
// type declarations the package ships in dist/: no TypeScript compiler is needed to use it.
import { createRequire } from "node:module";
import { defineSuite } from "../lib/scenarios.mjs";

const Z = createRequire(import.meta.url)("@zohocrm/typescript-sdk-8.0");
defineSuite("@zohocrm/typescript-sdk-8.0 3.0.0", Z, { keepsUndeclaredDetails: true });
