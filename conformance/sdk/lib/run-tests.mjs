// `npm test`: builds crmd once for the whole run (unless CRMD_BIN names a binary), then runs node's test
// runner over test/ (or the files given: `npm test -- test/zcrmsdk.test.mjs`), one test file at a time,
// each in a process of its own, and removes the build. Without this, every test file would build the
// binary itself (lib/crmd.mjs does so when CRMD_BIN is unset, e.g. under a bare `node --test file`).
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const env = { ...process.env };
let dir = null;
if (!env.CRMD_BIN) {
  dir = mkdtempSync(join(tmpdir(), "crmd-sdk-bin-"));
  env.CRMD_BIN = join(dir, "crmd");
  execFileSync("go", ["build", "-o", env.CRMD_BIN, "./cmd/crmd"], { cwd: resolve(here, "..", "..", ".."), stdio: "inherit" });
}
const files = process.argv.slice(2);
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...(files.length ? files : ["test/"])], {
  cwd: resolve(here, ".."), env, stdio: "inherit",
});
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
