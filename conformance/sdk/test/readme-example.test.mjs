// The README's Node example (examples/fixtures.mjs) run as a reader runs it: against `crmd serve
// --fixtures fixtures/testdata/example.json`, with the official SDK, printing the fixture's lead.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Crmd } from "../lib/crmd.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const crmd = new Crmd();
after(() => crmd.cleanup());

test("README: the Node SDK example against a fixture", async () => {
  const srv = await crmd.serve(join(crmd.subdir("db"), "crmd.db"), "--fixtures", join(repoRoot, "fixtures", "testdata", "example.json"));
  const out = execFileSync(process.execPath, [join(here, "..", "examples", "fixtures.mjs")], {
    cwd: crmd.subdir("run"), env: { ...process.env, CRMD_URL: srv.url }, encoding: "utf8",
  });
  assert.equal(out, "4200000000000001001 Martin\n");
});
