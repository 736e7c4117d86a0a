// Zoho's official Node.js SDK against crmd started with a fixture file, signed in with the fixture's
// fixed token: `crmd serve --fixtures fixtures/testdata/example.json`, then `node fixtures.mjs`.
import * as Z from "@zohocrm/nodejs-sdk-8.0";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.CRMD_URL ?? "http://127.0.0.1:8080";
const dir = mkdtempSync(join(tmpdir(), "zoho-sdk-"));
await (await new Z.InitializeBuilder())
  .environment(new Z.Environment(url, url + "/oauth/v2/token", url))
  .token(new Z.OAuthBuilder()
    .clientId("1000.ACMECITESTCLIENT0000000000001").clientSecret("acme-ci-secret-0001")
    .accessToken("1000.acmeadmin00000000000000000000001.acmeadmin00000000000000000000001").build())
  .store(new Z.FileStore(join(dir, "tokens.txt")))
  .resourcePath(dir)
  .logger(new Z.LogBuilder().level(Z.Levels.OFF).build())
  .initialize();

const resp = await new Z.Record.RecordOperations("Leads")
  .getRecord(4200000000000001001n, new Z.ParameterMap(), new Z.HeaderMap());
const lead = resp.getObject().getData()[0];
console.log(lead.getId().toString(), lead.getKeyValue("Last_Name"));
