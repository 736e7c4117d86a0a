// The crmd side of the SDK conformance suite: builds the binary (unless CRMD_BIN names one), runs the
// CLI against a fresh SQLite file, and starts `crmd serve --addr 127.0.0.1:0 --no-bootstrap`, reading
// its "crmd listening on <url>" line. Everything lives in one temp dir, removed by cleanup().
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

// A crmd environment without any CRMD_ variable of the developer's, so that nothing leaks in.
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CRMD_")) env[k] = v;
  return { ...env, ...extra };
}

export class Crmd {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "crmd-sdk-"));
    this.servers = [];
    // Should the test process end without cleanup (a crash, an uncaught error), no server outlives it.
    process.on("exit", () => { for (const s of this.servers) { try { s.proc.kill("SIGKILL"); } catch { /* gone */ } } });
    if (process.env.CRMD_BIN) {
      this.bin = resolve(process.env.CRMD_BIN);
    } else {
      this.bin = join(this.dir, "crmd");
      execFileSync("go", ["build", "-o", this.bin, "./cmd/crmd"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    }
  }

  // A fresh directory inside the suite's temp dir (SDK resource paths, token stores).
  subdir(name) {
    const p = join(this.dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  }

  // Runs one crmd command that prints one line of JSON and returns it decoded.
  cli(db, baseURL, ...args) {
    const out = execFileSync(this.bin, args, {
      env: cleanEnv({ CRMD_DB: db, ...(baseURL ? { CRMD_BASE_URL: baseURL } : {}) }),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = out.split("\n").filter((l) => l.trim() !== "");
    if (lines.length !== 1) throw new Error(`crmd ${args.join(" ")}: want one line of JSON, got ${JSON.stringify(out)}`);
    return JSON.parse(lines[0]);
  }

  // Starts `crmd serve` on db with extra flags and resolves to {url, proc, db, stderr(), control}.
  // Every server runs with the control API on (docs/control.md) and a journal large enough for the
  // whole run, so that answeredBadly() can read every answer crmd gave, and with
  // --notify-allow-private, so that notification callbacks reach the suite's receiver on 127.0.0.1
  // (a local-development server; crmd refuses loopback notify_urls without it).
  serve(db, ...flags) {
    const control = randomBytes(16).toString("hex");
    const proc = spawn(this.bin, ["serve", "--addr", "127.0.0.1:0", "--db", db, "--no-bootstrap",
      "--control-token", control, "--journal-size", "100000", "--notify-allow-private", ...flags], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (b) => { stderr += b; if (stderr.length > 1 << 20) stderr = stderr.slice(-65536); });
    const server = { proc, db, url: null, stderr: () => stderr, control };
    this.servers.push(server);
    return new Promise((ok, fail) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error(`crmd serve printed no listening line in 30s\n${out}\n${stderr}`)), 30000);
      proc.stdout.on("data", (b) => {
        out += b;
        const m = /^crmd listening on (\S+)$/m.exec(out);
        if (m && !server.url) {
          server.url = m[1];
          clearTimeout(timer);
          ok(server);
        }
      });
      proc.on("exit", (code) => { clearTimeout(timer); if (!server.url) fail(new Error(`crmd serve exited ${code}\n${out}\n${stderr}`)); });
    });
  }

  // Stops every server this suite started (SIGTERM, then SIGKILL after 10 s) and removes the temp dir.
  async cleanup() {
    await Promise.all(this.servers.map((s) => new Promise((done) => {
      if (s.proc.exitCode !== null || s.proc.signalCode !== null) return done();
      const t = setTimeout(() => s.proc.kill("SIGKILL"), 10000);
      s.proc.on("exit", () => { clearTimeout(t); done(); });
      s.proc.kill("SIGTERM");
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Every request crmd's journal holds (GET /crmd/v1/control/requests, newest first), as
// {method, path, query, status, code}: the SDK calls and the suite's own plain-HTTP calls alike.
export async function journal(server) {
  const resp = await fetch(`${server.url}/crmd/v1/control/requests?limit=100000`, { headers: { Authorization: `Bearer ${server.control}` } });
  if (resp.status !== 200) throw new Error(`control API: GET /crmd/v1/control/requests answered ${resp.status} ${await resp.text()}`);
  return (await resp.json()).requests;
}

// Counts the answers of the servers' journals by "METHOD path → status code" and returns those that
// are 404, 405 or 5xx (a route crmd lacks, a method it refuses, a crash), or whose code says the same
// under another status (Zoho answers a method a path lacks with 400 INVALID_REQUEST_METHOD), for a
// test to assert empty.
export async function answeredBadly(servers, diagnostic = () => {}) {
  const seen = new Map();
  for (const server of servers) {
    for (const r of await journal(server)) {
      const k = `${r.method} ${r.path.replace(/\/\d{6,}(?=\/|$)/g, "/{id}")} → ${r.status}${r.code ? " " + r.code : ""}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  const keys = [...seen.keys()].sort();
  for (const k of keys) diagnostic(`${k} ×${seen.get(k)}`);
  if (keys.length === 0) throw new Error("the request journal is empty");
  return keys.filter((k) => / → (404|405|5\d\d)( |$)/.test(k) || / (INVALID_URL_PATTERN|INVALID_REQUEST_METHOD)$/.test(k));
}

// Sets up an org for the scenarios on a fresh database: an admin, a Standard user, a custom module
// and the tokens (refresh tokens for the SDKs' refresh flow). Returns everything the tests need.
export function provision(crmd, db, baseURL) {
  const init = crmd.cli(db, baseURL, "init", "--org-name", "conformance", "--admin-email", "admin@conformance.test");
  const org = init.org_id;
  crmd.cli(db, baseURL, "user", "add", "--org", org, "--email", "standard@conformance.test", "--profile", "Standard");
  const mod = crmd.cli(db, baseURL, "module", "add", "--org", org, "--api-name", "Projects", "--singular", "Project",
    "--plural", "Projects", "--field", "Budget:currency", "--field", "Stage:picklist:Planned|Active|Done");
  // ZohoCRM.coql.READ: Zoho's scope for POST /crm/{v}/coql; ZohoCRM.notifications.ALL: for
  // /crm/{v}/actions/watch.
  const full = "ZohoCRM.modules.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL";
  const token = (email, scope) => crmd.cli(db, baseURL, "token", "--org", org, "--email", email, "--scope", scope);
  return {
    org,
    clientId: init.client_id,
    clientSecret: init.client_secret,
    adminEmail: "admin@conformance.test",
    standardEmail: "standard@conformance.test",
    module: mod,
    scope: full,
    admin: token("admin@conformance.test", full),
    // Every scope but mass_delete: mass delete answers OAUTH_SCOPE_MISMATCH.
    modulesOnly: token("admin@conformance.test", "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"),
    // Every scope, but the Standard profile has no Crm_Implied_Mass_Delete_<Module>: NO_PERMISSION.
    standard: token("standard@conformance.test", full),
  };
}
