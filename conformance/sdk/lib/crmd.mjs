// The crmd side of the SDK conformance suite: builds the binary (unless CRMD_BIN names one), runs the
// CLI against a fresh SQLite file, and starts `crmd serve --addr 127.0.0.1:0 --no-bootstrap`, reading
// its "crmd listening on <url>" line. Everything lives in one temp dir, removed by cleanup().
import { spawn, execFileSync } from "node:child_process";
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

  // Starts `crmd serve` on db with extra flags and resolves to {url, proc, db, stderr()}.
  serve(db, ...flags) {
    const proc = spawn(this.bin, ["serve", "--addr", "127.0.0.1:0", "--db", db, "--no-bootstrap", ...flags], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (b) => { stderr += b; if (stderr.length > 1 << 20) stderr = stderr.slice(-65536); });
    const server = { proc, db, url: null, stderr: () => stderr };
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

// Sets up an org for the scenarios on a fresh database: an admin, a Standard user, a custom module
// and the tokens (refresh tokens for the SDKs' refresh flow). Returns everything the tests need.
export function provision(crmd, db, baseURL) {
  const init = crmd.cli(db, baseURL, "init", "--org-name", "conformance", "--admin-email", "admin@conformance.test");
  const org = init.org_id;
  crmd.cli(db, baseURL, "user", "add", "--org", org, "--email", "standard@conformance.test", "--profile", "Standard");
  const mod = crmd.cli(db, baseURL, "module", "add", "--org", org, "--api-name", "Projects", "--singular", "Project",
    "--plural", "Projects", "--field", "Budget:currency", "--field", "Stage:picklist:Planned|Active|Done");
  const full = "ZohoCRM.modules.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ";
  const token = (email, scope) => crmd.cli(db, baseURL, "token", "--org", org, "--email", email, "--scope", scope);
  return {
    org,
    clientId: init.client_id,
    clientSecret: init.client_secret,
    adminEmail: "admin@conformance.test",
    standardEmail: "standard@conformance.test",
    module: mod,
    admin: token("admin@conformance.test", full),
    // Every scope but mass_delete: mass delete answers OAUTH_SCOPE_MISMATCH.
    modulesOnly: token("admin@conformance.test", "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"),
    // Every scope, but the Standard profile has no Crm_Implied_Mass_Delete_<Module>: NO_PERMISSION.
    standard: token("standard@conformance.test", full),
  };
}
