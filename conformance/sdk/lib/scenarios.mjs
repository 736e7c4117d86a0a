// Mass delete in depth, shared by both v8 SDKs: defineSuite(name, Z) registers, in order, every
// check against one fresh crmd, driving the SDK namespace Z (the Node.js SDK's ES module or the
// TypeScript SDK's compiled CommonJS, whose classes and methods are the same). Every assertion reads
// the SDK's parsed objects (ActionWrapper, SuccessResponse, APIException, Status, Record …).
//
// The SDK keeps global state (Initializer), so each SDK runs in a process of its own (one test file
// each) and users are switched by initializing again with the other user's token.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { Crmd, provision, answeredBadly } from "./crmd.mjs";
import { watchModel, assertModelKept } from "./modelcheck.mjs";
import { show, assertDate } from "./util.mjs";

// opts.keepsUndeclaredDetails: the SDK keeps details keys that its model does not declare for an API
// (the TypeScript SDK does; the Node.js SDK drops them, e.g. an error entry's details.id).
export function defineSuite(name, Z, opts = {}) {
  describe(`${name}: crmd speaks what the SDK expects`, () => {
    const crmd = new Crmd();
    let srv, p, slow, ps; // the main server, its org; the slowed server for ALREADY_SCHEDULED, its org
    let current = null;
    const rec = {}; // ids the scenarios share, by name
    const model = watchModel(Z.JSONConverter);

    // initialize() with a user's refresh token: the SDK posts the multipart refresh request to
    // /oauth/v2/token, then looks up the current user and the org, and keeps the token in a FileStore.
    async function use(server, tok, label, extra = {}) {
      const env = new Z.Environment(server.url, server.url + "/oauth/v2/token", server.url);
      let b = new Z.OAuthBuilder().clientId(extra.clientId ?? p.clientId).clientSecret(extra.clientSecret ?? p.clientSecret);
      if (tok.code) b = b.grantToken(tok.code);
      else b = tok.refresh_token ? b.refreshToken(tok.refresh_token) : b.accessToken(tok.access_token);
      const token = b.build();
      const store = new Z.FileStore(join(crmd.subdir("tokens"), `${label}.txt`));
      // CRMD_SDK_LOG=<dir> keeps each SDK's own log (every request, response and parse step).
      const logger = process.env.CRMD_SDK_LOG
        ? new Z.LogBuilder().level(Z.Levels.ALL).filePath(join(process.env.CRMD_SDK_LOG, `${name.split(" ")[0].replace(/\W+/g, "_")}.log`)).build()
        : new Z.LogBuilder().level(Z.Levels.OFF).build();
      const sdkConfig = new Z.SDKConfigBuilder().pickListValidation(false).autoRefreshFields(!!extra.autoRefreshFields).build();
      await (await new Z.InitializeBuilder())
        .environment(env).token(token).store(store).SDKConfig(sdkConfig)
        .resourcePath(crmd.subdir(`resources-${label}`)).logger(logger)
        .initialize();
      current = label;
      return store;
    }
    async function asAdmin() { if (current !== "admin") await use(srv, p.admin, "admin"); }

    // Asserts that an APIResponse's object is an APIException of the given namespace and code.
    function apiException(resp, ns, code) {
      const o = resp.getObject();
      assert.ok(o instanceof ns.APIException, `want ${code} as an APIException, got HTTP ${resp.getStatusCode()} ${o?.constructor?.name} ${show(o)}`);
      assert.equal(o.getStatus().getValue(), "error");
      assert.equal(o.getCode().getValue(), code, show(o));
      assert.equal(typeof o.getMessage().getValue(), "string");
      return o;
    }

    async function createRecords(module, fields) {
      const ops = new Z.Record.RecordOperations(module);
      const body = new Z.Record.BodyWrapper();
      const records = [];
      for (const f of fields) {
        const r = new Z.Record.Record();
        for (const [k, v] of Object.entries(f)) r.addKeyValue(k, v);
        records.push(r);
      }
      body.setData(records);
      const resp = await ops.createRecords(body, new Z.HeaderMap());
      assert.equal(resp.getStatusCode(), 201);
      const aw = resp.getObject();
      assert.ok(aw instanceof Z.Record.ActionWrapper, show(aw));
      const data = aw.getData();
      assert.equal(data.length, fields.length);
      return data.map((d) => {
        assert.ok(d instanceof Z.Record.SuccessResponse, show(d));
        assert.equal(d.getStatus().getValue(), "success");
        assert.equal(d.getCode().getValue(), "SUCCESS");
        const id = d.getDetails().get("id");
        assert.match(String(id), /^\d+$/);
        return BigInt(id);
      });
    }

    async function massDeleteIds(module, ids) {
      const body = new Z.MassDeleteCvid.RecordIdBodyWrapper();
      body.setIds(ids);
      return new Z.MassDeleteCvid.MassDeleteCvidOperations(module).massDeleteByRecordId(body);
    }

    async function massDeleteCvid(module, cvid, territory) {
      const body = new Z.MassDeleteCvid.CvidBodyWrapper();
      body.setCvid(cvid);
      if (territory) {
        const t = new Z.MassDeleteCvid.Territory();
        t.setId(territory.id);
        if (territory.includeChild !== undefined) t.setIncludeChild(territory.includeChild);
        body.setTerritory(t);
      }
      return new Z.MassDeleteCvid.MassDeleteCvidOperations(module).massDeleteByCvid(body);
    }

    // Asserts the scheduling answer of a cvid call and returns its job id.
    function scheduled(resp) {
      assert.equal(resp.getStatusCode(), 200);
      const aw = resp.getObject();
      assert.ok(aw instanceof Z.MassDeleteCvid.ActionWrapper, show(aw));
      const [s] = aw.getData();
      assert.ok(s instanceof Z.MassDeleteCvid.SuccessResponse, show(s));
      assert.equal(s.getStatus().getValue(), "success");
      assert.equal(s.getCode().getValue(), "SUCCESS");
      assert.equal(s.getMessage().getValue(), "mass delete scheduled successfully");
      const jobId = s.getDetails().get("job_id");
      assert.match(String(jobId), /^\d+$/);
      return BigInt(jobId);
    }

    async function status(module, jobId) {
      const pm = new Z.ParameterMap();
      await pm.add(Z.MassDeleteCvid.GetMassDeleteStatusParam.JOB_ID, jobId);
      const resp = await new Z.MassDeleteCvid.MassDeleteCvidOperations(module).getMassDeleteStatus(pm);
      assert.equal(resp.getStatusCode(), 200);
      const rw = resp.getObject();
      assert.ok(rw instanceof Z.MassDeleteCvid.ResponseWrapper, show(rw));
      const [st] = rw.getData();
      assert.ok(st instanceof Z.MassDeleteCvid.Status, show(st));
      return st;
    }

    // Polls the job's status through the SDK until COMPLETED (RUNNING meanwhile); returns the Status.
    async function waitCompleted(module, jobId, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const st = await status(module, jobId);
        const v = st.getStatus().getValue();
        if (v === "COMPLETED") {
          assert.equal(st.getTotalCount(), st.getDeletedCount() + st.getFailedCount(), show(st));
          return st;
        }
        assert.equal(v, "RUNNING", `status of job ${jobId}: ${show(st)}`);
        if (Date.now() > deadline) assert.fail(`job ${jobId} still ${v} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    async function customViews(module) {
      const pm = new Z.ParameterMap();
      await pm.add(Z.CustomViews.GetCustomViewsParam.MODULE, module);
      const resp = await new Z.CustomViews.CustomViewsOperations().getCustomViews(pm);
      assert.equal(resp.getStatusCode(), 200);
      const rw = resp.getObject();
      assert.ok(rw instanceof Z.CustomViews.ResponseWrapper, show(rw));
      return rw.getCustomViews();
    }

    async function allView(module) {
      const v = (await customViews(module)).find((cv) => cv.getSystemName() === "ALLVIEWS");
      assert.ok(v, `no ALLVIEWS view for ${module}`);
      return BigInt(v.getId());
    }

    async function liveIds(module) {
      const pm = new Z.ParameterMap();
      await pm.add(Z.Record.GetRecordsParam.FIELDS, module === "Leads" ? "Last_Name" : "Name");
      await pm.add(Z.Record.GetRecordsParam.PER_PAGE, 200);
      const resp = await new Z.Record.RecordOperations(module).getRecords(pm, new Z.HeaderMap());
      if (resp.getStatusCode() === 204) return [];
      const rw = resp.getObject();
      assert.ok(rw instanceof Z.Record.ResponseWrapper, show(rw));
      return rw.getData().map((r) => BigInt(r.getId()));
    }

    before(async () => {
      const db = join(crmd.dir, "main.db");
      crmd.cli(db, null, "migrate");
      srv = await crmd.serve(db);
      p = provision(crmd, db, srv.url);
      // A second server, on a database of its own, runs its jobs slowly (2 records every 250 ms) so
      // that a second cvid call always finds the first job still running.
      const sdb = join(crmd.dir, "slow.db");
      crmd.cli(sdb, null, "migrate");
      slow = await crmd.serve(sdb, "--job-batch-size", "2", "--job-batch-delay", "250ms");
      ps = provision(crmd, sdb, slow.url);
      crmd.cli(sdb, slow.url, "seed", "--org", ps.org, "--module", "Leads", "--count", "30", "--seed", "7");
    });
    after(async () => { await crmd.cleanup(); });

    // First: the Node.js SDK 2.0.0 cannot initialize with a grant token once another user was
    // initialized in the process (Initializer.getEncodedKey reads the new token's refresh or access
    // token, which a grant token has neither of, and throws a TypeError), whatever the server.
    test("initialize(): grant-token flow (authorization_code) with autoRefreshFields(true)", async () => {
      const code = crmd.cli(srv.db, srv.url, "code", "--org", p.org, "--email", p.adminEmail, "--scope",
        "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ");
      assert.equal(code.client_id, p.clientId);
      const store = await use(srv, { code: code.code }, "grant", { autoRefreshFields: true });
      current = null; // this user is not the admin of p.admin's token
      const [t] = await store.getTokens();
      assert.match(t.getAccessToken(), /^1000\./);
      assert.match(t.getRefreshToken(), /^1000\./, "the code exchange returns a refresh token");
      assert.notEqual(t.getRefreshToken(), p.admin.refresh_token);
      assert.equal(t.getAPIDomain(), srv.url);
      assert.equal(t.getUserSignature().getName().split(":")[0], p.adminEmail);
      // autoRefreshFields: the first record call makes the SDK read /settings/modules and the fields
      // of every api_supported module, which it caches under the resource path.
      const pm = new Z.ParameterMap();
      await pm.add(Z.Record.GetRecordsParam.FIELDS, "Last_Name");
      const resp = await new Z.Record.RecordOperations("Leads").getRecords(pm, new Z.HeaderMap());
      assert.equal(resp.getStatusCode(), 204); // no Lead yet
      assert.equal(resp.getObject(), null);
      const dir = join(crmd.dir, "resources-grant", "resources");
      const [cache] = readdirSync(dir).filter((f) => f.endsWith(".json"));
      const cached = JSON.parse(readFileSync(join(dir, cache), "utf8"));
      for (const m of ["leads", "accounts", "projects"]) assert.ok(cached[m], `${m} fields not cached: ${Object.keys(cached)}`);
      assert.equal(cached["SDK-MODULE-METADATA"].projects.api_name, "Projects");
    });

    test("initialize(): refresh-token flow (multipart), then the current user and the org", async () => {
      const store = await use(srv, p.admin, "admin");
      const tokens = await store.getTokens();
      assert.equal(tokens.length, 1);
      const t = tokens[0];
      assert.match(t.getAccessToken(), /^1000\./);
      assert.notEqual(t.getAccessToken(), p.admin.access_token, "the SDK's access token comes from the refresh flow");
      assert.equal(t.getRefreshToken(), p.admin.refresh_token);
      assert.equal(t.getAPIDomain(), srv.url);
      assert.ok(Number(t.getExpiresIn()) > Date.now() + 3000 * 1000, `expiry ${t.getExpiresIn()}`);
      // The user signature is "<users[0].email>:<org[0].zgid>", read by initialize() through
      // GET /users?type=CurrentUser and GET /org.
      const sig = t.getUserSignature();
      assert.ok(sig, "initialize() found no user signature: the user or org lookup failed");
      const [email, zgid] = sig.getName().split(":");
      assert.equal(email, p.adminEmail);
      assert.match(zgid, /^\d+$/);
    });

    test("Users.getUsers(type=CurrentUser) and Org.getOrganization()", async () => {
      await asAdmin();
      const pm = new Z.ParameterMap();
      await pm.add(Z.Users.GetUsersParam.TYPE, "CurrentUser");
      const ur = await new Z.Users.UsersOperations().getUsers(pm, new Z.HeaderMap());
      assert.equal(ur.getStatusCode(), 200);
      const users = ur.getObject().getUsers();
      assert.equal(users.length, 1);
      assert.equal(users[0].getEmail(), p.adminEmail);
      const or = await new Z.Org.OrgOperations().getOrganization();
      assert.equal(or.getStatusCode(), 200);
      const [org] = or.getObject().getOrg();
      assert.equal(String(org.getId()), p.org);
      assert.equal(org.getCompanyName(), "conformance");
    });

    test("Fields.getFields: Leads and a custom module", async () => {
      await asAdmin();
      const fields = async (module) => {
        const pm = new Z.ParameterMap();
        await pm.add(Z.Fields.GetFieldsParam.MODULE, module);
        const resp = await new Z.Fields.FieldsOperations().getFields(pm);
        assert.equal(resp.getStatusCode(), 200);
        const rw = resp.getObject();
        assert.ok(rw instanceof Z.Fields.ResponseWrapper, show(rw));
        return new Map(rw.getFields().map((f) => [f.getAPIName(), f]));
      };
      const leads = await fields("Leads");
      assert.equal(leads.get("Last_Name").getDataType(), "text");
      assert.equal(leads.get("Email").getDataType(), "email");
      assert.equal(leads.get("Owner").getDataType(), "ownerlookup");
      for (const [n, f] of leads) assert.ok(f.getDataType(), `Leads.${n} has no data_type`);
      const projects = await fields("Projects");
      assert.equal(projects.get("Name").getDataType(), "text");
      assert.equal(projects.get("Budget").getDataType(), "currency");
      const stage = projects.get("Stage");
      assert.equal(stage.getDataType(), "picklist");
      assert.deepEqual(stage.getPickListValues().map((v) => v.getActualValue()).filter((v) => v !== "-None-"), ["Planned", "Active", "Done"]);
    });

    test("Record: createRecords, getRecords, getRecord on Leads", async () => {
      await asAdmin();
      const names = ["Ids-1", "Ids-2", "Ids-3", "Mixed-1", "Mixed-2", "T1-a", "T1-b", "T2-a", "None-a"];
      const ids = await createRecords("Leads", names.map((n) => ({ Last_Name: n, Company: "Conformance Inc", Email: `${n.toLowerCase()}@example.com` })));
      names.forEach((n, i) => { rec[n] = ids[i]; });
      const pm = new Z.ParameterMap();
      await pm.add(Z.Record.GetRecordsParam.FIELDS, "Last_Name,Company,Email");
      await pm.add(Z.Record.GetRecordsParam.PER_PAGE, 200);
      const resp = await new Z.Record.RecordOperations("Leads").getRecords(pm, new Z.HeaderMap());
      assert.equal(resp.getStatusCode(), 200);
      const rw = resp.getObject();
      assert.ok(rw instanceof Z.Record.ResponseWrapper, show(rw));
      const got = new Map(rw.getData().map((r) => [BigInt(r.getId()), r]));
      for (const n of names) {
        const r = got.get(rec[n]);
        assert.ok(r, `${n} missing from getRecords`);
        assert.equal(r.getKeyValue("Last_Name"), n);
        assert.equal(r.getKeyValue("Company"), "Conformance Inc");
      }
      assert.equal(rw.getInfo().getMoreRecords(), false);
      assert.equal(rw.getInfo().getCount(), names.length);

      const one = await new Z.Record.RecordOperations("Leads").getRecord(rec["Ids-1"], new Z.ParameterMap(), new Z.HeaderMap());
      assert.equal(one.getStatusCode(), 200);
      const [r] = one.getObject().getData();
      assert.equal(BigInt(r.getId()), rec["Ids-1"]);
      assert.equal(r.getKeyValue("Email"), "ids-1@example.com");
      assertDate(r.getCreatedTime(), "Created_Time");
      assert.match(String(r.getCreatedBy().getId()), /^\d+$/);
    });

    test("Record: createRecords, getRecords on a custom module (Projects)", async () => {
      await asAdmin();
      const names = ["P-1", "P-2", "P-3", "P-4"];
      const ids = await createRecords("Projects", names.map((n, i) => ({ Name: n, Budget: 1000.5 * (i + 1), Stage: new Z.Choice("Active") })));
      names.forEach((n, i) => { rec[n] = ids[i]; });
      const pm = new Z.ParameterMap();
      await pm.add(Z.Record.GetRecordsParam.FIELDS, "Name,Budget,Stage");
      const resp = await new Z.Record.RecordOperations("Projects").getRecords(pm, new Z.HeaderMap());
      assert.equal(resp.getStatusCode(), 200);
      const rows = resp.getObject().getData();
      assert.deepEqual(rows.map((r) => r.getKeyValue("Name")).sort(), names);
      const p2 = rows.find((r) => r.getKeyValue("Name") === "P-2");
      assert.equal(p2.getKeyValue("Budget"), 2001);
      assert.equal(p2.getKeyValue("Stage").getValue(), "Active");
    });

    test("MassDeleteCvid.massDeleteByRecordId: all deleted", async () => {
      await asAdmin();
      const ids = [rec["Ids-1"], rec["Ids-2"], rec["Ids-3"]];
      const resp = await massDeleteIds("Leads", ids);
      assert.equal(resp.getStatusCode(), 200);
      const aw = resp.getObject();
      assert.ok(aw instanceof Z.MassDeleteCvid.ActionWrapper, show(aw));
      const data = aw.getData();
      assert.equal(data.length, 3);
      data.forEach((d, i) => {
        assert.ok(d instanceof Z.MassDeleteCvid.SuccessResponse, show(d));
        assert.equal(d.getStatus().getValue(), "success");
        assert.equal(d.getCode().getValue(), "SUCCESS");
        assert.equal(d.getMessage().getValue(), "record is deleted");
        assert.equal(BigInt(d.getDetails().get("id")), ids[i]);
      });
      assert.deepEqual((await liveIds("Leads")).filter((id) => ids.includes(id)), []);
    });

    test("MassDeleteCvid.massDeleteByRecordId: mixed (deleted, unknown, already deleted) and on a custom module", async () => {
      await asAdmin();
      const unknown = 1n;
      const ids = [rec["Mixed-1"], unknown, rec["Ids-1"], rec["Mixed-2"]];
      const resp = await massDeleteIds("Leads", ids);
      assert.equal(resp.getStatusCode(), 207);
      const data = resp.getObject().getData();
      assert.equal(data.length, 4);
      const [a, b, c, d] = data;
      for (const [ok, id] of [[a, rec["Mixed-1"]], [d, rec["Mixed-2"]]]) {
        assert.ok(ok instanceof Z.MassDeleteCvid.SuccessResponse, show(ok));
        assert.equal(BigInt(ok.getDetails().get("id")), id);
      }
      for (const [bad, id] of [[b, unknown], [c, rec["Ids-1"]]]) {
        assert.ok(bad instanceof Z.MassDeleteCvid.APIException, show(bad));
        assert.equal(bad.getStatus().getValue(), "error");
        assert.equal(bad.getCode().getValue(), "INVALID_DATA");
        assert.equal(bad.getMessage().getValue(), "the id given seems to be invalid");
        if (opts.keepsUndeclaredDetails) assert.equal(bad.getDetails().get("id"), String(id), show(bad));
        else assert.ok(!bad.getDetails().has("id"), show(bad));
      }
      // A custom module: one id of Projects.
      const pr = await massDeleteIds("Projects", [rec["P-4"]]);
      assert.equal(pr.getStatusCode(), 200);
      const [pd] = pr.getObject().getData();
      assert.ok(pd instanceof Z.MassDeleteCvid.SuccessResponse, show(pd));
      assert.equal(BigInt(pd.getDetails().get("id")), rec["P-4"]);
    });

    test("MassDeleteCvid.massDeleteByRecordId: all invalid", async () => {
      await asAdmin();
      const resp = await massDeleteIds("Leads", [2n, rec["Ids-2"]]);
      assert.equal(resp.getStatusCode(), 400);
      const o = resp.getObject();
      assert.ok(o instanceof Z.MassDeleteCvid.ActionWrapper, show(o));
      const data = o.getData();
      assert.equal(data.length, 2);
      for (const e of data) {
        assert.ok(e instanceof Z.MassDeleteCvid.APIException, show(e));
        assert.equal(e.getStatus().getValue(), "error");
        assert.equal(e.getCode().getValue(), "INVALID_DATA");
      }
    });

    test("Territories: createTerritories (a child of the root and its child), getTerritories, getTerritory, getChildTerritory", async () => {
      await asAdmin();
      const ops = new Z.Territories.TerritoriesOperations();
      const list = async () => {
        const resp = await ops.getTerritories(new Z.ParameterMap());
        assert.equal(resp.getStatusCode(), 200);
        const rw = resp.getObject();
        assert.ok(rw instanceof Z.Territories.ResponseWrapper, show(rw));
        return rw.getTerritories();
      };
      const root = (await list()).find((t) => t.getReportingTo() == null);
      assert.ok(root, "no root territory");
      const create = async (name, parentId) => {
        const t = new Z.Territories.Territories();
        t.setName(name);
        t.setPermissionType(new Z.Choice("read_only"));
        const rt = new Z.Territories.ReportingTo();
        rt.setId(BigInt(parentId));
        await t.setReportingTo(rt);
        const body = new Z.Territories.BodyWrapper();
        body.setTerritories([t]);
        const resp = await ops.createTerritories(body);
        assert.equal(resp.getStatusCode(), 201);
        const aw = resp.getObject();
        assert.ok(aw instanceof Z.Territories.ActionWrapper, show(aw));
        const [s] = aw.getTerritories();
        assert.ok(s instanceof Z.Territories.SuccessResponse, show(s));
        assert.equal(s.getCode().getValue(), "SUCCESS");
        return BigInt(s.getDetails().get("id"));
      };
      rec.T1 = await create("Conformance T1", root.getId());
      rec.T2 = await create("Conformance T2", rec.T1);
      const all = await list();
      const t2 = all.find((t) => BigInt(t.getId()) === rec.T2);
      assert.equal(t2.getName(), "Conformance T2");
      assert.equal(BigInt(t2.getReportingTo().getId()), rec.T1);
      assert.equal(t2.getReportingTo().getName(), "Conformance T1");

      const one = await ops.getTerritory(rec.T1);
      assert.equal(one.getStatusCode(), 200);
      const [t1] = one.getObject().getTerritories();
      assert.equal(t1.getName(), "Conformance T1");
      assert.equal(BigInt(t1.getReportingTo().getId()), BigInt(root.getId()));

      const kids = await ops.getChildTerritory(rec.T1, new Z.ParameterMap());
      assert.equal(kids.getStatusCode(), 200);
      assert.deepEqual(kids.getObject().getTerritories().map((t) => BigInt(t.getId())), [rec.T2]);
    });

    test("Record.assignTerritoriesToMultipleRecords, then getRecords by territory_id", async () => {
      await asAdmin();
      const assign = async (pairs) => {
        const body = new Z.Record.BodyWrapper();
        body.setData(pairs.map(([id, tid]) => {
          const r = new Z.Record.Record();
          r.setId(id);
          const t = new Z.Record.Territory();
          t.setId(tid);
          r.addKeyValue("Territories", [t]);
          return r;
        }));
        const resp = await new Z.Record.RecordOperations("Leads").assignTerritoriesToMultipleRecords(body);
        assert.equal(resp.getStatusCode(), 200);
        for (const d of resp.getObject().getData()) {
          assert.ok(d instanceof Z.Record.SuccessResponse, show(d));
          assert.equal(d.getCode().getValue(), "SUCCESS");
        }
      };
      await assign([[rec["T1-a"], rec.T1], [rec["T1-b"], rec.T1], [rec["T2-a"], rec.T2]]);
      const inTerritory = async (tid, includeChild) => {
        const pm = new Z.ParameterMap();
        await pm.add(Z.Record.GetRecordsParam.FIELDS, "Last_Name,Territories");
        await pm.add(Z.Record.GetRecordsParam.TERRITORY_ID, String(tid));
        await pm.add(Z.Record.GetRecordsParam.INCLUDE_CHILD, String(includeChild));
        const resp = await new Z.Record.RecordOperations("Leads").getRecords(pm, new Z.HeaderMap());
        assert.equal(resp.getStatusCode(), 200);
        return resp.getObject().getData().map((r) => r.getKeyValue("Last_Name")).sort();
      };
      assert.deepEqual(await inTerritory(rec.T1, false), ["T1-a", "T1-b"]);
      assert.deepEqual(await inTerritory(rec.T1, true), ["T1-a", "T1-b", "T2-a"]);
    });

    test("CustomViews.getCustomViews and getCustomView: the system views", async () => {
      await asAdmin();
      const views = await customViews("Leads");
      const names = views.map((v) => v.getSystemName());
      for (const n of ["ALLVIEWS", "MYVIEWS", "JUNKLEADVIEWS", "OPENLEADVIEWS"]) assert.ok(names.includes(n), `${n} missing: ${names}`);
      const all = views.find((v) => v.getSystemName() === "ALLVIEWS");
      assert.equal(all.getDisplayValue(), "All Leads");
      assert.equal(all.getSystemDefined(), true);
      rec.allLeads = BigInt(all.getId());

      const pm = new Z.ParameterMap();
      await pm.add(Z.CustomViews.GetCustomViewParam.MODULE, "Leads");
      const resp = await new Z.CustomViews.CustomViewsOperations().getCustomView(rec.allLeads, pm);
      assert.equal(resp.getStatusCode(), 200);
      const [v] = resp.getObject().getCustomViews();
      assert.equal(BigInt(v.getId()), rec.allLeads);
      assert.equal(v.getDisplayValue(), "All Leads");
      // The SDK reads custom_views[].module as an Owner (name, id, email): only its id survives.
      assert.match(String(v.getModule().getId()), /^\d+$/);

      // The view's records, as a mass delete by this cvid would select them.
      const rp = new Z.ParameterMap();
      await rp.add(Z.Record.GetRecordsParam.CVID, String(rec.allLeads));
      await rp.add(Z.Record.GetRecordsParam.FIELDS, "Last_Name");
      const rr = await new Z.Record.RecordOperations("Leads").getRecords(rp, new Z.HeaderMap());
      assert.equal(rr.getStatusCode(), 200);
      assert.deepEqual(rr.getObject().getData().map((r) => r.getKeyValue("Last_Name")).sort(), ["None-a", "T1-a", "T1-b", "T2-a"]);
    });

    test("MassDeleteCvid.massDeleteByCvid with a territory (include_child false), status to COMPLETED", async () => {
      await asAdmin();
      const job = scheduled(await massDeleteCvid("Leads", rec.allLeads, { id: rec.T1, includeChild: false }));
      const st = await waitCompleted("Leads", job);
      assert.equal(st.getTotalCount(), 2);
      assert.equal(st.getDeletedCount(), 2);
      assert.equal(st.getFailedCount(), 0);
      const live = await liveIds("Leads");
      assert.ok(!live.includes(rec["T1-a"]) && !live.includes(rec["T1-b"]));
      assert.ok(live.includes(rec["T2-a"]) && live.includes(rec["None-a"]));
    });

    test("MassDeleteCvid.massDeleteByCvid with a territory and include_child true", async () => {
      await asAdmin();
      // A new Lead in T1 and the remaining one in T2: the subtree of T1 holds two.
      const [t1c] = await createRecords("Leads", [{ Last_Name: "T1-c", Company: "Conformance Inc" }]);
      rec["T1-c"] = t1c;
      const body = new Z.Record.BodyWrapper();
      const t = new Z.Record.Territory();
      t.setId(rec.T1);
      const r = new Z.Record.Record();
      r.addKeyValue("Territories", [t]);
      body.setData([r]);
      const ar = await new Z.Record.RecordOperations("Leads").assignTerritoryToRecord(t1c, body);
      assert.equal(ar.getStatusCode(), 200);
      assert.equal(ar.getObject().getData()[0].getCode().getValue(), "SUCCESS");

      const job = scheduled(await massDeleteCvid("Leads", rec.allLeads, { id: rec.T1, includeChild: true }));
      const st = await waitCompleted("Leads", job);
      assert.equal(st.getStatus().getValue(), "COMPLETED");
      assert.equal(st.getTotalCount(), 2);
      assert.equal(st.getDeletedCount(), 2);
      assert.equal(st.getFailedCount(), 0);
      const live = await liveIds("Leads");
      assert.ok(!live.includes(rec["T2-a"]) && !live.includes(t1c));
      assert.ok(live.includes(rec["None-a"]));
    });

    test("MassDeleteCvid.massDeleteByCvid without a territory (custom module's All view)", async () => {
      await asAdmin();
      const cvid = await allView("Projects");
      const before = await liveIds("Projects");
      assert.equal(before.length, 3);
      const job = scheduled(await massDeleteCvid("Projects", cvid));
      const st = await waitCompleted("Projects", job);
      assert.equal(st.getTotalCount(), 3);
      assert.equal(st.getDeletedCount(), 3);
      assert.equal(st.getFailedCount(), 0);
      assert.deepEqual(await liveIds("Projects"), []);
      // An unknown job id is an APIException (v3+: 400 INVALID_DATA).
      const pm = new Z.ParameterMap();
      await pm.add(Z.MassDeleteCvid.GetMassDeleteStatusParam.JOB_ID, 12345n);
      const unknown = await new Z.MassDeleteCvid.MassDeleteCvidOperations("Projects").getMassDeleteStatus(pm);
      assert.equal(unknown.getStatusCode(), 400);
      apiException(unknown, Z.MassDeleteCvid, "INVALID_DATA");
      // Once done, the status stays COMPLETED with the same counts.
      const again = await status("Projects", job);
      assert.equal(again.getStatus().getValue(), "COMPLETED");
      assert.equal(again.getTotalCount(), 3);
    });

    test("MassDeleteCvid: ALREADY_SCHEDULED for a second job while one runs", async () => {
      await use(slow, ps.admin, "slow-admin", { clientId: ps.clientId, clientSecret: ps.clientSecret });
      try {
        const cvid = await allView("Leads");
        const job = scheduled(await massDeleteCvid("Leads", cvid));
        const second = apiException(await massDeleteCvid("Leads", cvid), Z.MassDeleteCvid, "ALREADY_SCHEDULED");
        assert.equal(second.getMessage().getValue(), "Already a Mass Action scheduler is running for the given cvid");
        assert.equal(second.getDetails().get("api_name").getValue(), "cvid", show(second));
        const running = await status("Leads", job);
        assert.equal(running.getStatus().getValue(), "RUNNING");
        assert.equal(running.getTotalCount(), 30);
        const st = await waitCompleted("Leads", job);
        assert.equal(st.getTotalCount(), 30);
        assert.equal(st.getDeletedCount(), 30);
        assert.equal(st.getFailedCount(), 0);
        // With the first job done, a new one is accepted (and finds nothing left: NO_RECORDS_FOUND).
        apiException(await massDeleteCvid("Leads", cvid), Z.MassDeleteCvid, "NO_RECORDS_FOUND");
      } finally {
        current = null;
      }
    });

    // crmd's own cancel (POST /crmd/v1/jobs/{id}/actions/cancel, docs/crmd-api.md) is not an SDK
    // call: it goes out as plain HTTP. What is checked is that the SDK's getMassDeleteStatus parses
    // Zoho's status answer for the cancelled job, {"Status":"CANCELLED",…}: CANCELLED is not among
    // the values the SDKs' model declares for Status (COMPLETED, RUNNING, FAILED).
    test("MassDeleteCvid: a job cancelled through crmd's API reads CANCELLED in getMassDeleteStatus", async (t) => {
      // 30 new Leads on the slowed server (the ALREADY_SCHEDULED scenario deleted the first 30): the
      // job needs ≥ 3.5 s, and the cancel goes out right after the scheduling answer.
      crmd.cli(slow.db, slow.url, "seed", "--org", ps.org, "--module", "Leads", "--count", "30", "--seed", "8");
      await use(slow, ps.admin, "slow-admin", { clientId: ps.clientId, clientSecret: ps.clientSecret });
      try {
        const cvid = await allView("Leads");
        const before = await liveIds("Leads");
        assert.equal(before.length, 30);
        const job = scheduled(await massDeleteCvid("Leads", cvid));
        const auth = { Authorization: `Zoho-oauthtoken ${ps.admin.access_token}` };
        const cancel = await fetch(`${slow.url}/crmd/v1/jobs/${job}/actions/cancel`, { method: "POST", headers: auth });
        const cancelled = await cancel.json();
        assert.equal(cancel.status, 200, show(cancelled));
        assert.equal(cancelled.job.id, String(job), show(cancelled));
        assert.ok(cancelled.job.status === "CANCELLED" || (cancelled.job.status === "RUNNING" && cancelled.job.cancel_requested === true),
          `want CANCELLED, or RUNNING with cancel_requested: ${show(cancelled)}`);

        // The job stops at its next batch boundary (250 ms at most); the SDK polls until then.
        const deadline = Date.now() + 5000;
        let st;
        for (;;) {
          st = await status("Leads", job);
          const v = st.getStatus().getValue();
          if (v === "CANCELLED") break;
          assert.equal(v, "RUNNING", `status of job ${job} after the cancel: ${show(st)}`);
          if (Date.now() > deadline) assert.fail(`job ${job} still ${v} 5 s after the cancel`);
          await new Promise((r) => setTimeout(r, 50));
        }
        t.diagnostic(`cancel answered ${cancelled.job.status} (cancel_requested ${cancelled.job.cancel_requested}); SDK: ${show(st)}`);
        assert.ok(st.getStatus() instanceof Z.Choice, show(st));
        assert.equal(st.getStatus().getValue(), "CANCELLED");
        assert.equal(st.getTotalCount(), 30, show(st));
        assert.equal(typeof st.getDeletedCount(), "number", show(st));
        assert.equal(typeof st.getFailedCount(), "number", show(st));
        assert.ok(st.getDeletedCount() + st.getFailedCount() <= st.getTotalCount(), show(st));
        assert.ok(st.getDeletedCount() < 30, `the cancel stopped nothing: ${show(st)}`);
        // Deleted_Count is what is really gone, and crmd's job object says the same.
        const live = await liveIds("Leads");
        assert.equal(before.length - live.length, st.getDeletedCount(), show(st));
        assert.ok(live.every((id) => before.includes(id)));
        const got = await fetch(`${slow.url}/crmd/v1/jobs/${job}`, { headers: auth });
        assert.equal(got.status, 200);
        const { job: j } = await got.json();
        assert.equal(j.status, "CANCELLED", show(j));
        assert.equal(j.cancel_requested, false, show(j));
        assert.deepEqual([j.total, j.succeeded, j.failed], [st.getTotalCount(), st.getDeletedCount(), st.getFailedCount()], show(j));
        // Once cancelled, it stays so.
        const again = await status("Leads", job);
        assert.equal(again.getStatus().getValue(), "CANCELLED");
        assert.equal(again.getDeletedCount(), st.getDeletedCount());
      } finally {
        current = null;
      }
    });

    test("Record.getDeletedRecords(type=recycle)", async () => {
      await asAdmin();
      const pm = new Z.ParameterMap();
      await pm.add(Z.Record.GetDeletedRecordsParam.TYPE, "recycle");
      await pm.add(Z.Record.GetDeletedRecordsParam.PER_PAGE, 200);
      const resp = await new Z.Record.RecordOperations("Leads").getDeletedRecords(pm, new Z.HeaderMap());
      assert.equal(resp.getStatusCode(), 200);
      const w = resp.getObject();
      assert.ok(w instanceof Z.Record.DeletedRecordsWrapper, show(w));
      const byId = new Map(w.getData().map((d) => [BigInt(d.getId()), d]));
      for (const n of ["Ids-1", "Ids-2", "Ids-3", "Mixed-1", "Mixed-2", "T1-a", "T1-b", "T2-a", "T1-c"]) {
        const d = byId.get(rec[n]);
        assert.ok(d, `${n} not among the deleted records`);
        assert.equal(d.getType(), "recycle");
        assert.equal(d.getDisplayName(), n);
        assert.match(String(d.getDeletedBy().getId()), /^\d+$/);
        assertDate(d.getDeletedTime(), "deleted_time");
      }
      assert.equal(byId.size, 9);
    });

    test("RecycleBin.getRecyclebinRecords and getRecyclebinRecord", async () => {
      await asAdmin();
      const ops = new Z.RecycleBin.RecycleBinOperations();
      const pm = new Z.ParameterMap();
      await pm.add(Z.RecycleBin.GetRecycleBinRecordsParam.PER_PAGE, 200);
      const resp = await ops.getRecyclebinRecords(pm);
      assert.equal(resp.getStatusCode(), 200);
      const rw = resp.getObject();
      assert.ok(rw instanceof Z.RecycleBin.ResponseWrapper, show(rw));
      const bin = rw.getRecycleBin();
      assert.equal(bin.length, 9 + 4); // nine Leads, four Projects
      const p1 = bin.find((r) => BigInt(r.getId()) === rec["P-1"]);
      assert.ok(p1, "P-1 not in the bin");
      assert.equal(p1.getDisplayName(), "P-1");
      assert.equal(p1.getModule().getAPIName(), "Projects");
      assertDate(p1.getDeletedTime(), "recycle_bin deleted_time");

      const one = await ops.getRecyclebinRecord(rec["Ids-1"]);
      assert.equal(one.getStatusCode(), 200);
      const [r] = one.getObject().getRecycleBin();
      assert.equal(BigInt(r.getId()), rec["Ids-1"]);
      assert.equal(r.getDisplayName(), "Ids-1");
      assert.equal(r.getModule().getAPIName(), "Leads");
    });

    test("errors: a bad access token is INVALID_TOKEN; a bad refresh token makes initialize() throw", async () => {
      current = null;
      await use(srv, { access_token: "1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef" }, "bad-token");
      const resp = await massDeleteIds("Leads", [rec["None-a"]]);
      assert.equal(resp.getStatusCode(), 401);
      apiException(resp, Z.MassDeleteCvid, "INVALID_TOKEN");
      // Record operations first read the module's fields (GET /settings/fields); the SDK turns that
      // call's APIException into a thrown SDKException carrying the parsed code.
      await assert.rejects(
        new Z.Record.RecordOperations("Accounts").getRecords(new Z.ParameterMap(), new Z.HeaderMap()),
        (err) => {
          assert.ok(err instanceof Z.SDKException, `want an SDKException, got ${err}`);
          assert.equal(err.code, "API_EXCEPTION");
          assert.equal(err.details.code, "INVALID_TOKEN");
          assert.equal(err.details.status, "error");
          return true;
        });

      await assert.rejects(
        use(srv, { refresh_token: "1000.ffffffffffffffffffffffffffffffff.ffffffffffffffffffffffffffffffff" }, "bad-refresh"),
        (err) => {
          assert.ok(err instanceof Z.SDKException, `want an SDKException, got ${err}`);
          assert.match(`${err.message} ${show(err.details)} ${err.cause}`, /invalid_code/);
          return true;
        });
      current = null;
    });

    test("errors: a token without a mass_delete scope is OAUTH_SCOPE_MISMATCH", async () => {
      await use(srv, p.modulesOnly, "modules-only");
      current = null;
      const resp = await massDeleteIds("Leads", [rec["None-a"]]);
      assert.equal(resp.getStatusCode(), 401);
      apiException(resp, Z.MassDeleteCvid, "OAUTH_SCOPE_MISMATCH");
      const cv = await massDeleteCvid("Leads", rec.allLeads);
      apiException(cv, Z.MassDeleteCvid, "OAUTH_SCOPE_MISMATCH");
      // The same token still reads records.
      assert.ok((await liveIds("Leads")).includes(rec["None-a"]));
    });

    test("errors: a Standard-profile user lacks the Mass Delete permission (NO_PERMISSION)", async () => {
      await use(srv, p.standard, "standard");
      current = null;
      for (const resp of [await massDeleteIds("Leads", [rec["None-a"]]), await massDeleteCvid("Leads", rec.allLeads)]) {
        assert.equal(resp.getStatusCode(), 403);
        const e = apiException(resp, Z.MassDeleteCvid, "NO_PERMISSION");
        assert.equal(e.getMessage().getValue(), "permission denied");
        // The Node.js SDK keeps only the details keys its model declares for this API (api_name,
        // json_path, expected_data_type), so details.permissions never reaches its caller; the
        // TypeScript SDK passes it through. It is on the wire either way (checked below).
        if (opts.keepsUndeclaredDetails) assert.deepEqual(e.getDetails().get("permissions"), ["Crm_Implied_Mass_Delete_Leads"], show(e));
        else assert.ok(e.getDetails() instanceof Map && !e.getDetails().has("permissions"), show(e));
      }
      const wire = await fetch(`${srv.url}/crm/v8/Leads/actions/mass_delete`, {
        method: "POST",
        headers: { Authorization: `Zoho-oauthtoken ${p.standard.access_token}` },
        body: JSON.stringify({ ids: [String(rec["None-a"])] }),
      });
      assert.equal(wire.status, 403);
      assert.deepEqual((await wire.json()).details, { permissions: ["Crm_Implied_Mass_Delete_Leads"] });
      // Nothing was deleted.
      assert.ok((await liveIds("Leads")).includes(rec["None-a"]));
    });

    test("the SDK's model: every value crmd sent has the JSON kind the model declares for its key", (t) => {
      assertModelKept(model, t);
    });

    test("crmd's journal: no answer to the SDK was a 404, a 405 or a 5xx", async (t) => {
      const bad = await answeredBadly([srv, slow], (m) => t.diagnostic(m));
      assert.deepEqual(bad, []);
    });
  });
}
