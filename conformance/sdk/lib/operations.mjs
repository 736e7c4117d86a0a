// The operations of docs/sdks.md's operation × SDK table, one test each, for any of the seven SDKs
// (lib/sdks.mjs gives them one shape). defineOperations(sdk) registers, against one fresh crmd (its
// control API on), every operation the SDK has a class for; an operation it has no class for is not
// registered (the table says n/a). Every test asserts the status and the values the SDK parsed.
//
// What the tests read, search, count and query is put in place over plain HTTP (API v8) before the
// SDK runs, so that one operation's failure does not fail the others.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { Crmd, provision, answeredBadly, journal } from "./crmd.mjs";
import { tokenField } from "./sdks.mjs";
import { watchModel, assertModelKept } from "./modelcheck.mjs";
import { show, assertDate } from "./util.mjs";

const big = (v) => BigInt(String(v));

// A call of crmd's API v8 over plain HTTP, outside the SDK: setup and wire checks.
async function http(server, token, method, path, body) {
  const resp = await fetch(`${server.url}/crm/v8${path}`, {
    method,
    headers: { Authorization: `Zoho-oauthtoken ${token.access_token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  return { status: resp.status, body: text ? JSON.parse(text) : null };
}

// Inserts records over HTTP and returns their ids (as BigInt) in order.
async function seed(server, token, module, rows) {
  const r = await http(server, token, "POST", `/${module}`, { data: rows });
  assert.equal(r.status, 201, `seeding ${module}: ${show(r.body)}`);
  return r.body.data.map((d) => {
    assert.equal(d.code, "SUCCESS", show(d));
    return big(d.details.id);
  });
}

// A notify_url receiver on 127.0.0.1 (crmd runs with --notify-allow-private): it answers 200 to every
// POST and keeps {path, query, headers, body} in calls; waitFor(pred, ms) resolves to the first call
// pred accepts.
async function receiver() {
  const calls = [];
  const waiters = new Set();
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => { text += c; });
    req.on("end", () => {
      const u = new URL(req.url, "http://127.0.0.1");
      let body;
      try { body = JSON.parse(text); } catch { body = { unparsed: text }; }
      const call = { method: req.method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body };
      calls.push(call);
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      for (const w of waiters) if (w.pred(call)) { waiters.delete(w); w.ok(call); }
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    waitFor(pred, ms = 10000) {
      const found = calls.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((ok, fail) => {
        const w = { pred, ok: (c) => { clearTimeout(t); ok(c); } };
        const t = setTimeout(() => { waiters.delete(w); fail(new Error(`no such callback within ${ms} ms; got ${show(calls.map((c) => c.body))}`)); }, ms);
        waiters.add(w);
      });
    },
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

// The Leads the search, COQL, upsert and count tests read: three with "Searchable" in their company.
const searchable = [
  { Last_Name: "Search-1", Company: "Searchable Works", Email: "search-1@example.com", Phone: "555-0101" },
  { Last_Name: "Search-2", Company: "Searchable Works", Email: "search-2@example.com", Phone: "555-0102" },
  { Last_Name: "Search-3", Company: "Searchable Works", Email: "search-3@example.com", Phone: "555-0103" },
];

export function defineOperations(sdk) {
  const { Z } = sdk;
  const v6plus = !sdk.userSignature;

  describe(`${sdk.name}: every operation it has a class for (API ${sdk.api})`, () => {
    const crmd = new Crmd();
    let srv, p;
    const rec = {}; // ids shared between tests, by name
    const model = watchModel(Z.JSONConverter);

    async function init(tok, label, email) {
      return sdk.init({
        url: srv.url, clientId: p.clientId, clientSecret: p.clientSecret, tok, email: email ?? p.adminEmail,
        tokenFile: join(crmd.subdir("tokens"), `${label}.txt`),
        resourcePath: crmd.subdir(`resources-${label}`),
        logFile: process.env.CRMD_SDK_LOG
          ? { path: join(process.env.CRMD_SDK_LOG, `${sdk.pkg.replace(/\W+/g, "_")}-${label}.log`), level: "debug" }
          : { path: join(crmd.subdir("logs"), `${label}.log`) },
      });
    }

    // The entries of an ActionWrapper answer, each asserted a SuccessResponse with status "success" and
    // code SUCCESS. status: the HTTP status, or the list of those allowed.
    function success(resp, status, ns = Z.Record) {
      const o = resp.getObject();
      assert.ok([status].flat().includes(resp.getStatusCode()), `want HTTP ${status}, got ${resp.getStatusCode()}: ${o?.constructor?.name} ${show(o)}`);
      const data = o.getData();
      for (const d of data) {
        assert.ok(d instanceof ns.SuccessResponse, `${d?.constructor?.name}: ${show(d)}`);
        assert.equal(d.getStatus().getValue(), "success");
        assert.equal(d.getCode().getValue(), "SUCCESS");
      }
      return data;
    }

    function wrapper(resp, status, cls, what) {
      const o = resp.getObject();
      assert.equal(resp.getStatusCode(), status, `${what}: HTTP ${resp.getStatusCode()} ${o?.constructor?.name} ${show(o)}`);
      assert.ok(o instanceof cls, `${what}: want ${cls.name}, got ${o?.constructor?.name} ${show(o)}`);
      return o;
    }

    async function params(pairs) {
      const pm = new Z.ParameterMap();
      for (const [param, value] of pairs) await pm.add(param, value);
      return pm;
    }

    function body(rows) {
      const b = new Z.Record.BodyWrapper();
      b.setData(rows.map((f) => {
        const r = new Z.Record.Record();
        for (const [k, v] of Object.entries(f)) {
          if (k === "id") r.setId(v);
          else r.addKeyValue(k, v);
        }
        return r;
      }));
      return b;
    }

    async function leadNames(resp, what) {
      const rw = wrapper(resp, 200, Z.Record.ResponseWrapper, what);
      return rw.getData().map((r) => r.getKeyValue("Last_Name")).sort();
    }

    before(async () => {
      const db = join(crmd.dir, "main.db");
      crmd.cli(db, null, "migrate");
      srv = await crmd.serve(db);
      p = provision(crmd, db, srv.url);
      rec.searchable = await seed(srv, p.admin, "Leads", searchable);
      // A territory under the org's root, so that the SDKs without a create call have one to read.
      const root = (await http(srv, p.admin, "GET", "/settings/territories")).body.territories.find((t) => t.reporting_to === null);
      rec.root = big(root.id);
      const t = await http(srv, p.admin, "POST", "/settings/territories",
        { territories: [{ name: "Ops T1", permission_type: "read_only", reporting_to: { id: root.id } }] });
      assert.equal(t.status, 201, show(t.body));
      rec.T1 = big(t.body.territories[0].details.id);
      // A custom view with criteria, fields and a sort order: the parts of a view whose shape
      // changes between versions (v2 names a field by its api name, v2.1+ by {api_name, id}).
      const cv = await http(srv, p.admin, "POST", "/settings/custom_views?module=Leads", { custom_views: [{
        name: "Searchable", access_type: "public", fields: ["Last_Name", "Company"], sort_by: "Last_Name", sort_order: "asc",
        criteria: { group_operator: "and", group: [
          { field: { api_name: "Company" }, comparator: "equal", value: "Searchable Works" },
          { field: { api_name: "Last_Name" }, comparator: "starts_with", value: "Search" }] },
      }] });
      assert.equal(cv.status, 201, show(cv.body));
      rec.searchView = big(cv.body.custom_views[0].details.id);
    });
    let hooks; // the notify_url receiver, started by the first notifications test
    after(async () => { await crmd.cleanup(); await hooks?.close(); });

    // ---- token flows -------------------------------------------------------------------------------

    test("token: grant-token flow (authorization_code), then a call", async () => {
      const code = crmd.cli(srv.db, srv.url, "code", "--org", p.org, "--email", p.adminEmail, "--scope", p.scope);
      const { store, token } = await init({ code: code.code }, "grant");
      // The v2 and v2.1 SDKs exchange the code at the first call; the v6+ SDKs in initialize().
      const resp = await sdk.users(await params([[Z.Users.GetUsersParam.TYPE, "CurrentUser"]]));
      const users = wrapper(resp, 200, Z.Users.ResponseWrapper, "users").getUsers();
      assert.equal(users[0].getEmail(), p.adminEmail);
      const tokens = await store.getTokens();
      assert.equal(tokens.length, 1, show(tokens));
      const t = tokens[0];
      assert.match(tokenField(t, "AccessToken"), /^1000\./);
      // The refresh token the exchange returned, on the SDK's token (zcrmsdk's FileStore.getTokens()
      // reads a code's row back without it, though the file holds it).
      assert.match(tokenField(token, "RefreshToken"), /^1000\./, "the code exchange returns a refresh token");
      assert.notEqual(tokenField(token, "RefreshToken"), p.admin.refresh_token);
      assert.equal(tokenField(t, "AccessToken"), tokenField(token, "AccessToken"));
      if (v6plus) assert.equal(t.getAPIDomain(), srv.url);
    });

    test("token: refresh-token flow, then a call", async () => {
      const { store } = await init(p.admin, "admin");
      const resp = await sdk.users(await params([[Z.Users.GetUsersParam.TYPE, "CurrentUser"]]));
      wrapper(resp, 200, Z.Users.ResponseWrapper, "users");
      const tokens = await store.getTokens();
      assert.equal(tokens.length, 1, show(tokens));
      const t = tokens[0];
      assert.match(tokenField(t, "AccessToken"), /^1000\./);
      assert.notEqual(tokenField(t, "AccessToken"), p.admin.access_token, "the access token comes from the refresh flow");
      assert.equal(tokenField(t, "RefreshToken"), p.admin.refresh_token);
      assert.ok(Number(tokenField(t, "ExpiresIn")) > Date.now() + 3000 * 1000, `expiry ${tokenField(t, "ExpiresIn")}`);
      if (v6plus) {
        assert.equal(t.getAPIDomain(), srv.url);
        assert.equal(t.getUserSignature()?.getName()?.split(":")[0], p.adminEmail, "no user signature: the user or org lookup failed");
      }
    });

    // ---- metadata ----------------------------------------------------------------------------------

    test("users: the current user, and the list", async () => {
      const cur = await sdk.users(await params([[Z.Users.GetUsersParam.TYPE, "CurrentUser"]]));
      const [me, ...rest] = wrapper(cur, 200, Z.Users.ResponseWrapper, "current user").getUsers();
      assert.equal(rest.length, 0);
      assert.equal(me.getEmail(), p.adminEmail);
      assert.match(String(me.getId()), /^\d+$/);
      const all = await sdk.users(await params([[Z.Users.GetUsersParam.TYPE, "AllUsers"]]));
      const rw = wrapper(all, 200, Z.Users.ResponseWrapper, "all users");
      assert.deepEqual(rw.getUsers().map((u) => u.getEmail()).sort(), [p.adminEmail, p.standardEmail]);
      assert.equal(rw.getInfo().getCount(), 2);
    });

    test("org: getOrganization", async () => {
      const or = await sdk.org();
      const [org] = wrapper(or, 200, Z.Org.ResponseWrapper, "org").getOrg();
      assert.equal(String(org.getId()), p.org);
      assert.equal(org.getCompanyName(), "conformance");
      assert.match(String(org.getZgid()), /^\d+$/);
    });

    test("modules: getModules", async () => {
      const resp = await sdk.modules();
      const mods = wrapper(resp, 200, Z.Modules.ResponseWrapper, "modules").getModules();
      const byName = new Map(mods.map((m) => [m.getAPIName(), m]));
      for (const n of ["Leads", "Contacts", "Accounts", "Projects"]) assert.ok(byName.has(n), `${n} missing: ${[...byName.keys()]}`);
      assert.equal(byName.get("Leads").getAPISupported(), true);
      assert.equal(byName.get("Projects").getSingularLabel(), "Project");
    });

    test("fields: getFields, a lookup field's target module", async () => {
      const fields = async (m) => {
        const rw = wrapper(await sdk.fields(m), 200, Z.Fields.ResponseWrapper, `fields of ${m}`);
        return new Map(rw.getFields().map((f) => [f.getAPIName(), f]));
      };
      const leads = await fields("Leads");
      assert.equal(leads.get("Last_Name").getDataType(), "text");
      assert.equal(leads.get("Email").getDataType(), "email");
      for (const [n, f] of leads) assert.ok(f.getDataType(), `Leads.${n} has no data_type`);
      const contacts = await fields("Contacts");
      const acc = contacts.get("Account_Name");
      assert.equal(acc.getDataType(), "lookup");
      // The v2 and v2.1 models declare lookup.module a String ("Accounts"); v6+ a Module object.
      const target = acc.getLookup().getModule();
      if (v6plus) assert.equal(target?.getAPIName?.(), "Accounts", show(acc.getLookup()));
      else assert.equal(target, "Accounts", `lookup.module: want the string "Accounts", got ${show(target)}`);
    });

    // ---- records -----------------------------------------------------------------------------------

    test("records: insert, get, list, update, delete (Leads)", async () => {
      const ops = sdk.records("Leads");
      const created = success(await ops.createRecords(body([
        { Last_Name: "Rec-1", Company: "Records Inc", Email: "rec-1@example.com" },
        { Last_Name: "Rec-2", Company: "Records Inc" },
        { Last_Name: "Rec-3", Company: "Records Inc" },
      ])), 201);
      const [r1, r2, r3] = created.map((d) => big(d.getDetails().get("id")));
      Object.assign(rec, { r1, r2, r3 });

      const one = wrapper(await ops.getRecord(r1, new Z.ParameterMap()), 200, Z.Record.ResponseWrapper, "getRecord");
      const [got] = one.getData();
      assert.equal(big(got.getId()), r1);
      assert.equal(got.getKeyValue("Email"), "rec-1@example.com");
      assertDate(got.getCreatedTime(), "Created_Time");

      const list = wrapper(await ops.getRecords(await params([[Z.Record.GetRecordsParam.FIELDS, "Last_Name,Company"],
        [Z.Record.GetRecordsParam.PER_PAGE, 200]])), 200, Z.Record.ResponseWrapper, "getRecords");
      const names = list.getData().map((r) => r.getKeyValue("Last_Name"));
      for (const n of ["Rec-1", "Rec-2", "Rec-3", "Search-1"]) assert.ok(names.includes(n), `${n} missing: ${names}`);
      assert.equal(list.getInfo().getMoreRecords(), false);

      const [u1] = success(await ops.updateRecord(r1, body([{ Company: "Renamed Inc" }])), 200);
      assert.equal(big(u1.getDetails().get("id")), r1);
      const u2 = success(await ops.updateRecords(body([{ id: r2, Company: "Bulk Inc" }, { id: r3, Company: "Bulk Inc" }])), 200);
      assert.deepEqual(u2.map((d) => big(d.getDetails().get("id"))), [r2, r3]);
      const again = wrapper(await ops.getRecord(r2, new Z.ParameterMap()), 200, Z.Record.ResponseWrapper, "getRecord after update");
      assert.equal(again.getData()[0].getKeyValue("Company"), "Bulk Inc");

      const [d1] = success(await ops.deleteRecord(r1, new Z.ParameterMap()), 200);
      assert.equal(big(d1.getDetails().get("id")), r1);
      const pm = await params([[Z.Record.DeleteRecordsParam.IDS, sdk.idParam(r2)], [Z.Record.DeleteRecordsParam.IDS, sdk.idParam(r3)]]);
      const d23 = success(await ops.deleteRecords(pm), 200);
      assert.deepEqual(d23.map((d) => big(d.getDetails().get("id"))).sort(), [r2, r3].sort());
      // A deleted record is no longer readable: 400 INVALID_DATA, an APIException.
      const gone = await ops.getRecord(r1, new Z.ParameterMap());
      assert.equal(gone.getStatusCode(), 400, `a deleted record: ${show(gone.getObject())}`);
      assert.ok(gone.getObject() instanceof Z.Record.APIException, show(gone.getObject()));
      assert.equal(gone.getObject().getCode().getValue(), "INVALID_DATA");
    });

    test("records with a lookup: a Contact's Account_Name (insert, get, list, update, delete)", async () => {
      const [account, other] = success(await sdk.records("Accounts").createRecords(body([{ Account_Name: "Lookup Acme" }, { Account_Name: "Lookup Other" }])), 201)
        .map((d) => big(d.getDetails().get("id")));
      const ops = sdk.records("Contacts");
      const ref = (id) => { const r = new Z.Record.Record(); r.setId(id); return r; };
      const [c] = success(await ops.createRecords(body([{ Last_Name: "Lookup-1", Account_Name: ref(account) }])), 201)
        .map((d) => big(d.getDetails().get("id")));
      const got = wrapper(await ops.getRecord(c, new Z.ParameterMap()), 200, Z.Record.ResponseWrapper, "getRecord").getData()[0];
      const lk = got.getKeyValue("Account_Name");
      assert.ok(lk instanceof Z.Record.Record, `Account_Name: want a Record, got ${show(lk)}`);
      assert.equal(big(lk.getId()), account);
      assert.equal(lk.getKeyValue("name"), "Lookup Acme");
      const list = wrapper(await ops.getRecords(await params([[Z.Record.GetRecordsParam.FIELDS, "Last_Name,Account_Name"]])), 200,
        Z.Record.ResponseWrapper, "getRecords");
      const row = list.getData().find((r) => big(r.getId()) === c);
      assert.equal(big(row.getKeyValue("Account_Name").getId()), account);
      success(await ops.updateRecord(c, body([{ Account_Name: ref(other) }])), 200);
      const moved = wrapper(await ops.getRecord(c, new Z.ParameterMap()), 200, Z.Record.ResponseWrapper, "getRecord").getData()[0];
      assert.equal(moved.getKeyValue("Account_Name").getKeyValue("name"), "Lookup Other");
      const [d] = success(await ops.deleteRecord(c, new Z.ParameterMap()), 200);
      assert.equal(big(d.getDetails().get("id")), c);
      rec.contact = c;
      // Before a record call the SDK reads the module's fields, then the fields of every lookup's
      // target (lookup.module): each of those reads must name a module and succeed. (A v2 or v2.1
      // SDK given lookup.module as an object asks for ?module=[object Object] and logs the error.)
      const reads = (await journal(srv)).filter((r) => /^\/crm\/[^/]+\/settings\/fields$/.test(r.path));
      assert.ok(reads.some((r) => r.query.module === "Accounts"), "the SDK never read the lookup target's fields");
      assert.deepEqual(reads.filter((r) => r.status !== 200).map((r) => `${r.method} ${r.path}?module=${r.query.module} → ${r.status} ${r.code}`), []);
    });

    // ---- views, territories ------------------------------------------------------------------------

    test("views: custom views list and get", async () => {
      const v = sdk.views("Leads");
      const views = wrapper(await v.list(), 200, Z.CustomViews.ResponseWrapper, "custom views").getCustomViews();
      const names = views.map((x) => x.getSystemName());
      for (const n of ["ALLVIEWS", "MYVIEWS"]) assert.ok(names.includes(n), `${n} missing: ${names}`);
      const all = views.find((x) => x.getSystemName() === "ALLVIEWS");
      assert.equal(all.getDisplayValue(), "All Leads");
      assert.equal(all.getSystemDefined(), true);
      rec.allLeads = big(all.getId());
      const [one] = wrapper(await v.get(rec.allLeads), 200, Z.CustomViews.ResponseWrapper, "custom view").getCustomViews();
      assert.equal(big(one.getId()), rec.allLeads);
      assert.equal(one.getDisplayValue(), "All Leads");

      // A view with criteria: v2 models a criterion's field as a String, v2.1+ as {api_name, id}.
      const [sv] = wrapper(await v.get(rec.searchView), 200, Z.CustomViews.ResponseWrapper, "custom view with criteria").getCustomViews();
      assert.equal(big(sv.getId()), rec.searchView);
      assert.equal(sv.getName(), "Searchable");
      const value = (x) => (x && typeof x.getValue === "function" ? x.getValue() : x);
      const fieldName = (f) => (typeof f === "string" ? f : f?.getAPIName?.());
      const c = sv.getCriteria();
      assert.equal(String(value(c.getGroupOperator())).toLowerCase(), "and", show(c));
      assert.deepEqual(c.getGroup().map((g) => [fieldName(g.getField()), value(g.getComparator()), value(g.getValue())]),
        [["Company", "equal", "Searchable Works"], ["Last_Name", "starts_with", "Search"]], show(c));
      // sort_by: a String in the v2 and v2.1 models, a {api_name, id} structure in v6+.
      if (v6plus) assert.equal(sv.getSortBy()?.getAPIName(), "Last_Name", show(sv.getSortBy()));
      else assert.equal(sv.getSortBy(), "Last_Name", `sort_by: want the string "Last_Name", got ${show(sv.getSortBy())}`);
      const rp = await params([[Z.Record.GetRecordsParam.CVID, String(rec.searchView)], [Z.Record.GetRecordsParam.FIELDS, "Last_Name"]]);
      assert.deepEqual(await leadNames(await sdk.records("Leads").getRecords(rp), "the view's records"), ["Search-1", "Search-2", "Search-3"]);
    });

    test("territories: list, get (a child of the root); v6+: create, children", async () => {
      const t = sdk.territories();
      const list = wrapper(await t.list(), 200, Z.Territories.ResponseWrapper, "territories").getTerritories();
      const t1 = list.find((x) => big(x.getId()) === rec.T1);
      assert.ok(t1, `Ops T1 missing: ${show(list)}`);
      assert.equal(t1.getName(), "Ops T1");
      // v2 (zcrmsdk, nodejs-sdk-2.0) reads the parent as parent_id (a String); v2.1+ as reporting_to.
      const parent = (x) => (x.getParentId ? x.getParentId() : x.getReportingTo()?.getId());
      assert.equal(String(parent(t1) ?? ""), String(rec.root), `parent of Ops T1: ${show(t1)}`);
      const [one] = wrapper(await t.get(rec.T1), 200, Z.Territories.ResponseWrapper, "territory").getTerritories();
      assert.equal(big(one.getId()), rec.T1);
      assert.equal(String(parent(one) ?? ""), String(rec.root));
      if (t.create) {
        const tw = new Z.Territories.Territories();
        tw.setName("Ops T2");
        tw.setPermissionType(new Z.Choice("read_only"));
        const rt = new Z.Territories.ReportingTo();
        rt.setId(rec.T1);
        await tw.setReportingTo(rt);
        const b = new Z.Territories.BodyWrapper();
        b.setTerritories([tw]);
        const resp = await t.create(b);
        assert.equal(resp.getStatusCode(), 201, show(resp.getObject()));
        const [s] = resp.getObject().getTerritories();
        assert.ok(s instanceof Z.Territories.SuccessResponse, show(s));
        const t2 = big(s.getDetails().get("id"));
        const kids = wrapper(await t.children(rec.T1), 200, Z.Territories.ResponseWrapper, "child territories").getTerritories();
        assert.deepEqual(kids.map((k) => big(k.getId())), [t2]);
      }
    });

    // ---- mass delete (v6+) ---------------------------------------------------------------------------

    if (Z.MassDeleteCvid) {
      const MD = Z.MassDeleteCvid;
      test("mass delete: by ids", async () => {
        const ids = await seed(srv, p.admin, "Leads", [{ Last_Name: "MD-1" }, { Last_Name: "MD-2" }]);
        const b = new MD.RecordIdBodyWrapper();
        b.setIds(ids);
        const resp = await sdk.massDelete("Leads").massDeleteByRecordId(b);
        const data = success(resp, 200, MD);
        assert.deepEqual(data.map((d) => big(d.getDetails().get("id"))), ids);
        for (const d of data) assert.equal(d.getMessage().getValue(), "record is deleted");
      });

      test("mass delete: by cvid, and its status", async () => {
        const cvid = (await http(srv, p.admin, "GET", "/settings/custom_views?module=Projects")).body.custom_views
          .find((v) => v.system_name === "ALLVIEWS").id;
        await seed(srv, p.admin, "Projects", [{ Name: "MD-P1" }, { Name: "MD-P2" }]);
        const b = new MD.CvidBodyWrapper();
        b.setCvid(big(cvid));
        const [s] = success(await sdk.massDelete("Projects").massDeleteByCvid(b), 200, MD);
        assert.equal(s.getMessage().getValue(), "mass delete scheduled successfully");
        const job = big(s.getDetails().get("job_id"));
        const deadline = Date.now() + 20000;
        for (;;) {
          const pm = await params([[MD.GetMassDeleteStatusParam.JOB_ID, job]]);
          const rw = wrapper(await sdk.massDelete("Projects").getMassDeleteStatus(pm), 200, MD.ResponseWrapper, "mass delete status");
          const [st] = rw.getData();
          assert.ok(st instanceof MD.Status, show(st));
          if (st.getStatus().getValue() === "COMPLETED") {
            assert.deepEqual([st.getTotalCount(), st.getDeletedCount(), st.getFailedCount()], [2, 2, 0], show(st));
            break;
          }
          assert.equal(st.getStatus().getValue(), "RUNNING", show(st));
          if (Date.now() > deadline) assert.fail(`job ${job} not COMPLETED after 20 s: ${show(st)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      });
    }

    // ---- deleted records, recycle bin ------------------------------------------------------------------

    test("deleted records: getDeletedRecords", async () => {
      const pm = await params([[Z.Record.GetDeletedRecordsParam.TYPE, "recycle"]]);
      const w = wrapper(await sdk.records("Leads").getDeletedRecords(pm), 200, Z.Record.DeletedRecordsWrapper, "deleted records");
      const byId = new Map(w.getData().map((d) => [big(d.getId()), d]));
      for (const [n, id] of [["Rec-1", rec.r1], ["Rec-2", rec.r2], ["Rec-3", rec.r3]]) {
        const d = byId.get(id);
        assert.ok(d, `${n} (${id}) not among the deleted records: ${show([...byId.keys()])}`);
        assert.equal(d.getType(), "recycle");
        assert.equal(d.getDisplayName(), n);
        assert.match(String(d.getDeletedBy().getId()), /^\d+$/);
        assertDate(d.getDeletedTime(), "deleted_time");
      }
    });

    if (sdk.recycleBin) {
      test("recycle bin: list and get", async () => {
        const ops = sdk.recycleBin();
        const rw = wrapper(await ops.getRecyclebinRecords(await params([[Z.RecycleBin.GetRecycleBinRecordsParam.PER_PAGE, 200]])),
          200, Z.RecycleBin.ResponseWrapper, "recycle bin");
        const bin = rw.getRecycleBin();
        const r1 = bin.find((r) => big(r.getId()) === rec.r1);
        assert.ok(r1, `Rec-1 not in the bin: ${show(bin.map((r) => r.getDisplayName()))}`);
        assert.equal(r1.getDisplayName(), "Rec-1");
        assert.equal(r1.getModule().getAPIName(), "Leads");
        assertDate(r1.getDeletedTime(), "deleted_time");
        const [one] = wrapper(await ops.getRecyclebinRecord(rec.r1), 200, Z.RecycleBin.ResponseWrapper, "recycle bin record").getRecycleBin();
        assert.equal(big(one.getId()), rec.r1);
        assert.equal(one.getModule().getAPIName(), "Leads");
      });
    }

    // ---- search, COQL, upsert, count ---------------------------------------------------------------------

    const S = Z.Record.SearchRecordsParam;
    for (const [what, param, value, want] of [
      ["criteria", "CRITERIA", "((Company:equals:Searchable Works)and(Last_Name:starts_with:Search-))", ["Search-1", "Search-2", "Search-3"]],
      ["email", "EMAIL", "search-2@example.com", ["Search-2"]],
      ["phone", "PHONE", "555-0103", ["Search-3"]],
      ["word", "WORD", "Searchable", ["Search-1", "Search-2", "Search-3"]],
    ]) {
      test(`search: by ${what}`, async () => {
        const resp = await sdk.records("Leads").searchRecords(await params([[S[param], value]]));
        assert.deepEqual(await leadNames(resp, `search ${what}`), want);
        const rw = resp.getObject();
        assert.equal(rw.getInfo().getCount(), want.length);
        assert.equal(rw.getInfo().getMoreRecords(), false);
        if (what === "criteria") {
          // Nothing found: 204 without a body, as Zoho documents; the SDK's object is null.
          const none = await sdk.records("Leads").searchRecords(await params([[S.CRITERIA, "(Last_Name:equals:No-Such-Lead)"]]));
          assert.equal(none.getStatusCode(), 204, show(none.getObject()));
          assert.equal(none.getObject(), null);
        }
      });
    }

    test("COQL: a select with a where clause", async () => {
      const resp = await sdk.coql("select Last_Name, Email from Leads where Company = 'Searchable Works' order by Last_Name limit 10");
      const rw = wrapper(resp, 200, Z.Coql.ResponseWrapper, "coql");
      const rows = rw.getData();
      assert.deepEqual(rows.map((r) => r.getKeyValue("Last_Name")), ["Search-1", "Search-2", "Search-3"]);
      assert.equal(rows[0].getKeyValue("Email"), "search-1@example.com");
      assert.equal(big(rows[0].getId()), rec.searchable[0]);
      assert.equal(rw.getInfo().getCount(), 3);
      assert.equal(rw.getInfo().getMoreRecords(), false);
    });

    if (sdk.records("Leads").recordCount) {
      test("record count: actions/count", async () => {
        const live = (await http(srv, p.admin, "GET", "/Leads?fields=Last_Name&per_page=200")).body.data.length;
        const resp = await sdk.records("Leads").recordCount(new Z.ParameterMap());
        const cw = wrapper(resp, 200, Z.Record.CountWrapper, "count");
        assert.equal(Number(cw.getCount()), live);
        const byCriteria = await sdk.records("Leads").recordCount(await params([[Z.Record.RecordCountParam.CRITERIA, "(Company:equals:Searchable Works)"]]));
        assert.equal(Number(wrapper(byCriteria, 200, Z.Record.CountWrapper, "count by criteria").getCount()), 3);
      });
    }

    test("upsert: one update (duplicate check on Email) and one insert", async () => {
      const b = body([
        { Last_Name: "Search-1", Company: "Upserted Works", Email: "search-1@example.com" },
        { Last_Name: "Upsert-New", Company: "Upserted Works", Email: "upsert-new@example.com" },
      ]);
      b.setDuplicateCheckFields(["Email"]);
      const resp = await sdk.records("Leads").upsertRecords(b);
      // Zoho's pages give no status for upsert; 200 (or 201, as for an insert) with one SUCCESS entry
      // per record, in order.
      const [updated, inserted] = success(resp, [200, 201]);
      assert.equal(big(updated.getDetails().get("id")), rec.searchable[0]);
      assert.equal(updated.getMessage().getValue(), "record updated");
      assert.equal(inserted.getMessage().getValue(), "record added");
      assert.match(String(inserted.getDetails().get("id")), /^\d+$/);
      const check = await http(srv, p.admin, "GET", `/Leads/${rec.searchable[0]}`);
      assert.equal(check.body.data[0].Company, "Upserted Works");
      // On the wire, Zoho's documented entry keys say what happened to each record.
      const [wire] = (await journal(srv)).filter((r) => r.method === "POST" && /\/Leads\/upsert$/.test(r.path));
      assert.deepEqual(wire.response_body.data.map((d) => [d.action, d.duplicate_field]), [["update", "Email"], ["insert", null]], show(wire.response_body));
    });

    // ---- notifications (the watch API) -------------------------------------------------------------

    if (Z.Notifications) {
      const N = Z.Notifications;
      // Two channels: c1 watches Leads.all, c2 Leads.create and Leads.delete. The v2 and v2.1 models
      // declare channel_id a Long (a BigInt, sent as a JSON string all the same), v6+ a String.
      const c1 = v6plus ? "1000000068001" : 1000000068001n;
      const c2 = v6plus ? "1000000068002" : 1000000068002n;
      const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 60 * 1000);
      const nw = () => sdk.notifications();
      const channel = (id, f) => {
        const n = new N.Notification();
        n.setChannelId(id);
        if (f.events) n.setEvents(f.events);
        if (f.url) n.setNotifyUrl(f.url);
        if (f.token) n.setToken(f.token);
        if (f.expiry) n.setChannelExpiry(f.expiry);
        if (f.related !== undefined) n.setNotifyOnRelatedAction(f.related);
        if (f.values !== undefined && n.setReturnAffectedFieldValues) n.setReturnAffectedFieldValues(f.values);
        if (f.remove) nw().deleteEvents(n);
        return n;
      };
      const watchBody = (...ns) => { const b = new N.BodyWrapper(); b.setWatch(ns); return b; };
      // The SuccessResponse entries of an ActionWrapper answer, each with message msg.
      const acted = (resp, status, msg, what) => {
        const o = resp.getObject();
        assert.equal(resp.getStatusCode(), status, `${what}: HTTP ${resp.getStatusCode()} ${o?.constructor?.name} ${show(o)}`);
        assert.ok(o instanceof N.ActionWrapper, `${what}: want ActionWrapper, got ${o?.constructor?.name} ${show(o)}`);
        const list = o.getWatch();
        for (const d of list) {
          assert.ok(d instanceof N.SuccessResponse, `${what}: ${d?.constructor?.name}: ${show(d)}`);
          assert.equal(d.getStatus().getValue(), "success");
          assert.equal(d.getCode().getValue(), "SUCCESS");
          assert.equal(d.getMessage().getValue(), msg, show(d));
        }
        return list;
      };
      // details.events of a POST, PUT or PATCH entry: one per module (Event objects from v6,
      // Notification objects in v2 and v2.1).
      const events = (d, id, { expires = true } = {}) => {
        const evs = d.getDetails().get("events");
        assert.ok(Array.isArray(evs) && evs.length === 1, `details.events: ${show(d.getDetails())}`);
        const [ev] = evs;
        assert.equal(String(ev.getChannelId()), String(id));
        assert.equal(ev.getResourceName(), "Leads");
        assert.match(String(ev.getResourceId()), /^\d+$/);
        assert.equal(ev.getResourceUri(), `${srv.url}/crm/${sdk.api}/Leads`);
        if (expires) assert.equal(ev.getChannelExpiry()?.getTime(), expiry.getTime(), `channel_expiry ${ev.getChannelExpiry()}`);
        else assert.equal(ev.getChannelExpiry() ?? null, null);
        return ev;
      };
      const details = async (pairs, what) => wrapper(await nw().get(await params(pairs)), 200, N.ResponseWrapper, what).getWatch();
      const byId = (id) => [[nw().GetParam.CHANNEL_ID, typeof id === "bigint" ? id : big(id)]];

      test("notifications: enable (POST) two channels, then their details (GET) by channel_id and by module", async (t) => {
        hooks = await receiver();
        const resp = await nw().enable(watchBody(
          channel(c1, { events: ["Leads.all"], url: `${hooks.url}/hook/1?key1=val1`, token: "tok-1", expiry, related: false, values: true }),
          channel(c2, { events: ["Leads.create", "Leads.delete"], url: `${hooks.url}/hook/2`, token: "tok-2", expiry })));
        const [e1, e2] = acted(resp, 201, "Successfully subscribed for actions-watch of the given module", "enable");
        events(e1, c1);
        const lead = events(e2, c2).getResourceId();

        const [d1, ...more] = await details(byId(c1), "details of c1");
        assert.equal(more.length, 0, show(more));
        assert.equal(String(d1.getChannelId()), String(c1));
        assert.deepEqual([...d1.getEvents()].sort(), ["Leads.create", "Leads.delete", "Leads.edit"]);
        assert.equal(d1.getNotifyUrl(), `${hooks.url}/hook/1?key1=val1`);
        assert.equal(d1.getToken(), "tok-1");
        assertDate(d1.getChannelExpiry(), "channel_expiry");
        assert.equal(d1.getChannelExpiry().getTime(), expiry.getTime());
        assert.equal(d1.getResourceName(), "Leads");
        assert.equal(String(d1.getResourceId()), String(lead));
        assert.equal(d1.getNotifyOnRelatedAction(), false);
        if (d1.getReturnAffectedFieldValues) assert.equal(d1.getReturnAffectedFieldValues(), true);

        const all = await details([[nw().GetParam.MODULE, "Leads"]], "details of Leads");
        assert.deepEqual(all.map((n) => String(n.getChannelId())).sort(), [String(c1), String(c2)]);
        const d2 = all.find((n) => String(n.getChannelId()) === String(c2));
        assert.deepEqual([...d2.getEvents()].sort(), ["Leads.create", "Leads.delete"]);
        assert.equal(d2.getToken(), "tok-2");
        assert.equal(d2.getNotifyOnRelatedAction(), true, "notify_on_related_action defaults to true");

        // On the wire (crmd's journal): what the SDK sent, and crmd's answer before the SDK parsed it.
        const [post] = (await journal(srv)).filter((r) => r.method === "POST" && /\/actions\/watch$/.test(r.path));
        const [w1] = post.request_body.watch;
        t.diagnostic(`the SDK sent ${show(w1)}`);
        // Every SDK sends channel_id as a JSON string (the v2 and v2.1 ones convert their Long).
        assert.equal(w1.channel_id, String(c1), `the SDK sent ${show(w1)}`);
        assert.match(w1.channel_expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/, show(w1));
        for (const ev of post.response_body.watch.flatMap((e) => e.details.events)) {
          assert.equal(typeof ev.channel_id, "string", show(ev));
          assert.match(ev.resource_id, /^\d+$/, show(ev));
          assert.match(ev.channel_expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, show(ev));
        }
      });

      test("notifications: replace (PUT), update some keys (PATCH)", async () => {
        const put = await nw().replace(watchBody(
          channel(c2, { events: ["Leads.create", "Leads.delete"], url: `${hooks.url}/hook/2b`, token: "tok-2b", expiry })));
        events(acted(put, 200, "Successfully subscribed for actions-watch of the given module", "replace")[0], c2);
        let [d2] = await details(byId(c2), "details after PUT");
        assert.equal(d2.getNotifyUrl(), `${hooks.url}/hook/2b`);
        assert.equal(d2.getToken(), "tok-2b");

        // PATCH keeps what it is not given: notify_url and channel_expiry stay.
        const patch = await nw().patch(watchBody(channel(c2, { events: ["Leads.create", "Leads.delete"], token: "tok-2c" })));
        events(acted(patch, 200, "Successfully updated the subscribe details", "update")[0], c2);
        [d2] = await details(byId(c2), "details after PATCH");
        assert.equal(d2.getToken(), "tok-2c");
        assert.equal(d2.getNotifyUrl(), `${hooks.url}/hook/2b`);
        assert.equal(d2.getChannelExpiry()?.getTime(), expiry.getTime());
      });

      test("notifications: callbacks for a Lead created, updated and deleted through the SDK", async () => {
        const ops = sdk.records("Leads");
        const [made] = success(await ops.createRecords(body([{ Last_Name: "Hooked-1", Company: "Hooks Inc" }])), 201);
        const id = String(made.getDetails().get("id"));
        const on = (ch, op) => (c) => c.body.channel_id === String(ch) && c.body.operation === op && c.body.ids?.includes(id);
        const ins1 = await hooks.waitFor(on(c1, "insert"));
        const ins2 = await hooks.waitFor(on(c2, "insert"));
        for (const [c, ch, token, path] of [[ins1, c1, "tok-1", "/hook/1"], [ins2, c2, "tok-2c", "/hook/2b"]]) {
          assert.equal(c.method, "POST");
          assert.equal(c.path, path);
          const b = c.body;
          assert.equal(typeof b.channel_id, "string", show(b));
          assert.equal(b.channel_id, String(ch));
          assert.equal(b.token, token);
          assert.equal(b.module, "Leads");
          assert.deepEqual(b.ids, [id]);
          assert.ok(Number.isInteger(b.server_time) && Math.abs(b.server_time - Date.now()) < 60000, show(b));
          assert.equal(b.resource_uri, `${srv.url}/crm/${sdk.api}/Leads`, "the version that enabled the channel");
          assert.deepEqual(b.affected_fields, []);
        }
        assert.deepEqual(ins1.body.query_params, { key1: "val1" });
        assert.deepEqual(ins2.body.query_params, {});

        success(await ops.updateRecord(big(id), body([{ Company: "Rehooked Inc" }])), 200);
        const upd = await hooks.waitFor(on(c1, "update"));
        assert.ok(upd.body.affected_fields.some((a) => a[id]?.includes("Company")), show(upd.body));
        if (v6plus) {
          // return_affected_field_values: true on c1.
          assert.equal(upd.body.affected_values?.find((a) => a.record_id === id)?.values?.Company, "Rehooked Inc", show(upd.body));
        } else {
          // The v2 and v2.1 models cannot set it: no affected_values.
          assert.equal(upd.body.affected_values, undefined, show(upd.body));
        }

        success(await ops.deleteRecord(big(id), new Z.ParameterMap()), 200);
        const del = await hooks.waitFor(on(c2, "delete"));
        assert.equal(del.body.token, "tok-2c");
        await hooks.waitFor(on(c1, "delete"));
        assert.deepEqual(hooks.calls.filter(on(c2, "update")), [], "c2 does not watch Leads.edit");

        if (Z.MassDeleteCvid) {
          // A mass delete by ids notifies as a delete too, with every id it deleted.
          const two = (await seed(srv, p.admin, "Leads", [{ Last_Name: "Hooked-2" }, { Last_Name: "Hooked-3" }])).map(String);
          const b = new Z.MassDeleteCvid.RecordIdBodyWrapper();
          b.setIds(two.map(big));
          success(await sdk.massDelete("Leads").massDeleteByRecordId(b), 200, Z.MassDeleteCvid);
          const gotIds = new Set();
          await hooks.waitFor((c) => {
            if (c.body.channel_id === String(c2) && c.body.operation === "delete") for (const x of c.body.ids ?? []) gotIds.add(x);
            return two.every((x) => gotIds.has(x));
          });
        }
      });

      test("notifications: remove events (PATCH _delete_events), disable channels (DELETE channel_ids)", async () => {
        const rm = await nw().removeEvents(watchBody(channel(c1, { events: ["Leads.edit"], remove: true })));
        events(acted(rm, 200, "Successfully removed the subscribe details", "remove events")[0], c1, { expires: false });
        const [d1] = await details(byId(c1), "details after removing Leads.edit");
        assert.deepEqual([...d1.getEvents()].sort(), ["Leads.create", "Leads.delete"]);

        const pm = await params([[nw().DeleteParam.CHANNEL_IDS, c1], [nw().DeleteParam.CHANNEL_IDS, c2]]);
        const gone = acted(await nw().disable(pm), 200, "Successfully un-subscribed from actions-watch", "disable");
        const [del] = (await journal(srv)).filter((r) => r.method === "DELETE" && /\/actions\/watch$/.test(r.path));
        assert.equal(del.query.channel_ids, `${c1},${c2}`, `the SDK joins repeated channel_ids with commas: ${show(del.query)}`);
        assert.deepEqual(gone.map((d) => String(d.getDetails().get("channel_id"))).sort(), [String(c1), String(c2)]);
        for (const d of gone) assert.match(String(d.getDetails().get("resource_id")), /^\d+$/);
        // No channel left: 204 without a body (Zoho's OpenAPI description), the SDK's object null.
        const none = await nw().get(await params([[nw().GetParam.MODULE, "Leads"]]));
        assert.equal(none.getStatusCode(), 204, show(none.getObject()));
        assert.equal(none.getObject(), null);
        // Disabling again: the channels are not subscribed any more.
        const again = await nw().disable(await params([[nw().DeleteParam.CHANNEL_IDS, c1]]));
        const [e] = again.getObject().getWatch();
        assert.ok(e instanceof N.APIException, `${e?.constructor?.name} ${show(e)}`);
        assert.equal(e.getCode().getValue(), "NOT_SUBSCRIBED");
      });
    }

    test("the SDK's model: every value crmd sent has the JSON kind the model declares for its key", (t) => {
      assertModelKept(model, t);
    });

    test("crmd's journal: no answer was a 404, a 405 or a 5xx (nor INVALID_URL_PATTERN, INVALID_REQUEST_METHOD)", async (t) => {
      const bad = await answeredBadly([srv], (m) => t.diagnostic(m));
      assert.deepEqual(bad, []);
    });
  });
}
