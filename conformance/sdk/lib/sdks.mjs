// One adapter per official Zoho SDK: how to load it, point it at crmd, initialize it with a token, and
// reach its operation classes. lib/operations.mjs drives every SDK through this one shape, so that a
// scenario is written once for the seven SDKs:
//
//   sdk.Z        the SDK's namespaces under common names: Record, Coql, Territories, CustomViews,
//                MassDeleteCvid, RecycleBin, Users, Org, Fields, Modules, Notifications (absent when
//                the SDK has no class for them), and ParameterMap, HeaderMap, Choice, SDKException,
//                JSONConverter
//   sdk.init()   initializes the SDK (Initializer) for one user's token against one crmd server
//   sdk.records(module), sdk.fields(module), sdk.views(module), sdk.coql(query) …: the operation
//                classes with the module bound, whatever the SDK's calling convention
//   sdk.notifications()  the watch API under one set of names (notificationCalls below)
//
// Two conventions exist. The v2 and v2.1 SDKs (zcrmsdk 1.1.0, @zohocrm/nodejs-sdk-2.0,
// @zohocrm/typescript-sdk-2.1) pass the module to every RecordOperations method, need a UserSignature
// (the email) and never read the token answer's api_domain. The v6+ SDKs take the module in the
// operations' constructor, look the user up themselves, and send every call to api_domain.
import { createRequire } from "node:module";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";

const require = createRequire(import.meta.url);

// A namespace for the v2 SDKs without an index (zcrmsdk, @zohocrm/nodejs-sdk-2.0): every class of the
// directory core/com/zoho/crm/api/<dir>, merged as the TypeScript SDKs' index exports them.
function nsOf(root, dir) {
  const d = join(root, "core", "com", "zoho", "crm", "api", dir);
  const ns = {};
  for (const f of readdirSync(d)) {
    if (!f.endsWith(".js")) continue;
    for (const [k, v] of Object.entries(require(join(d, f)))) if (k !== "MasterModel") ns[k] = v;
  }
  return ns;
}

function pkgRoot(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

// Reads a token's field whatever the SDK calls its accessor (getAccessToken() or .accessToken).
export function tokenField(t, name) {
  const getter = t[`get${name}`];
  if (typeof getter === "function") return getter.call(t);
  return t[name[0].toLowerCase() + name.slice(1)];
}

// zcrmsdk's APIResponse has the properties statusCode and object where the later SDKs have
// getStatusCode() and getObject(): the calls below answer with both.
function apiResponse(resp) {
  if (resp && typeof resp.getObject !== "function" && "object" in resp) {
    return { getStatusCode: () => resp.statusCode, getObject: () => resp.object, getHeaders: () => resp.headers };
  }
  return resp;
}

// Every function of an operations object (and of the objects its functions return, once) made to
// answer apiResponse(…); a capitalized key is a class (GetParam …) and is kept as it is.
function normalized(calls) {
  const out = {};
  for (const [k, f] of Object.entries(calls)) {
    if (typeof f !== "function" || /^[A-Z]/.test(k)) { out[k] = f; continue; }
    out[k] = (...a) => {
      const r = f(...a);
      if (r instanceof Promise) return r.then(apiResponse);
      return r && typeof r === "object" ? normalized(r) : r;
    };
  }
  return out;
}

// The calls of the v2 convention: RecordOperations methods take the module (after the id, when they
// take one), FieldsOperations and CustomViewsOperations take it in their constructor.
function v2Calls(Z) {
  const hm = () => new Z.HeaderMap();
  return normalized({
    org: () => new Z.Org.OrgOperations().getOrganization(),
    records: (m) => {
      const o = new Z.Record.RecordOperations();
      return {
        getRecords: (pm) => o.getRecords(m, pm, hm()),
        getRecord: (id, pm) => o.getRecord(id, m, pm, hm()),
        createRecords: (body) => o.createRecords(m, body, hm()),
        updateRecords: (body) => o.updateRecords(m, body, hm()),
        updateRecord: (id, body) => o.updateRecord(id, m, body, hm()),
        deleteRecords: (pm) => o.deleteRecords(m, pm, hm()),
        deleteRecord: (id, pm) => o.deleteRecord(id, m, pm, hm()),
        upsertRecords: (body) => o.upsertRecords(m, body, hm()),
        getDeletedRecords: (pm) => o.getDeletedRecords(m, pm, hm()),
        searchRecords: (pm) => o.searchRecords(m, pm, hm()),
        recordCount: o.recordCount ? (pm) => o.recordCount(m, pm) : undefined,
      };
    },
    fields: async (m) => new Z.Fields.FieldsOperations(m).getFields(new Z.ParameterMap()),
    modules: () => new Z.Modules.ModulesOperations().getModules(hm()),
    views: (m) => {
      const o = new Z.CustomViews.CustomViewsOperations(m);
      return { list: () => o.getCustomViews(new Z.ParameterMap()), get: (id) => o.getCustomView(id) };
    },
    users: (pm) => new Z.Users.UsersOperations().getUsers(pm, hm()),
    coql: (query) => {
      const body = new Z.Coql.BodyWrapper();
      body.setSelectQuery(query);
      return new Z.Coql.QueryOperations().getRecords(body);
    },
    territories: () => {
      const o = new Z.Territories.TerritoriesOperations();
      return { list: () => o.getTerritories(), get: (id) => o.getTerritory(id) };
    },
    notifications: () => notificationCalls(Z),
  });
}

// The Notifications API (/crm/{v}/actions/watch) under one set of names. The v2 and v2.1 SDKs call
// the GET getNotificationDetails and the DELETE disableNotifications (NotificationOperations,
// GetNotificationDetailsParam, DisableNotificationsParam; channel ids are Longs, _delete_events a
// Boolean); from v6 they are getNotifications and deleteNotification (NotificationsOperations,
// GetNotificationsParam, DeleteNotificationParam; channel_id a String, _delete_events a Choice).
//   enable(body) POST, get(pm) GET, replace(body) PUT, patch(body) PATCH, removeEvents(body) PATCH
//   with _delete_events, disable(pm) DELETE; GetParam, DeleteParam: the parameter classes;
//   deleteEvents(notification): sets "_delete_events": true. Its setter and type vary: v2, v2.1
//   setDeleteevents(Boolean); v6, v7 setDeleteevents(Choice); nodejs-sdk-8.0 setDeleteEvents(Choice);
//   typescript-sdk-8.0 setDeleteEvents(Boolean) (its json_details.json declares a Boolean, and its
//   converter refuses a Choice) — opts.deleteEventsBoolean.
function notificationCalls(Z, opts = {}) {
  const N = Z.Notifications;
  const deleteEvents = (n) => {
    const v = opts.deleteEventsBoolean || N.NotificationOperations ? true : new Z.Choice(true);
    if (n.setDeleteEvents) n.setDeleteEvents(v);
    else n.setDeleteevents(v);
  };
  if (N.NotificationOperations) {
    const o = new N.NotificationOperations();
    return {
      enable: (b) => o.enableNotifications(b), get: (pm) => o.getNotificationDetails(pm),
      replace: (b) => o.updateNotifications(b), patch: (b) => o.updateNotification(b),
      removeEvents: (b) => o.disableNotification(b), disable: (pm) => o.disableNotifications(pm),
      GetParam: N.GetNotificationDetailsParam, DeleteParam: N.DisableNotificationsParam, deleteEvents,
    };
  }
  const o = new N.NotificationsOperations();
  return {
    enable: (b) => o.enableNotifications(b), get: (pm) => o.getNotifications(pm),
    replace: (b) => o.updateNotifications(b), patch: (b) => o.updateNotification(b),
    removeEvents: (b) => o.disableNotification(b), disable: (pm) => o.deleteNotification(pm),
    GetParam: N.GetNotificationsParam, DeleteParam: N.DeleteNotificationParam, deleteEvents,
  };
}

// The calls of the v6+ convention (the same classes in @zohocrm/typescript-sdk-6.0,
// @zohocrm/nodejs-sdk-7.0 and both v8 SDKs).
function v6Calls(Z, opts = {}) {
  const hm = () => new Z.HeaderMap();
  return {
    org: () => new Z.Org.OrgOperations().getOrganization(),
    records: (m) => {
      const o = new Z.Record.RecordOperations(m);
      return {
        getRecords: (pm) => o.getRecords(pm, hm()),
        getRecord: (id, pm) => o.getRecord(id, pm, hm()),
        createRecords: (body) => o.createRecords(body, hm()),
        updateRecords: (body) => o.updateRecords(body, hm()),
        updateRecord: (id, body) => o.updateRecord(id, body, hm()),
        deleteRecords: (pm) => o.deleteRecords(pm, hm()),
        deleteRecord: (id, pm) => o.deleteRecord(id, pm, hm()),
        upsertRecords: (body) => o.upsertRecords(body, hm()),
        getDeletedRecords: (pm) => o.getDeletedRecords(pm, hm()),
        searchRecords: (pm) => o.searchRecords(pm, hm()),
        recordCount: (pm) => o.recordCount(pm),
      };
    },
    fields: async (m) => {
      const pm = new Z.ParameterMap();
      await pm.add(Z.Fields.GetFieldsParam.MODULE, m);
      return new Z.Fields.FieldsOperations().getFields(pm);
    },
    // v7+ getModules(paramInstance, headerInstance); v6 getModules(headerInstance).
    modules: () => (opts.modulesTakeParams
      ? new Z.Modules.ModulesOperations().getModules(new Z.ParameterMap(), hm())
      : new Z.Modules.ModulesOperations().getModules(hm())),
    views: (m) => {
      const o = new Z.CustomViews.CustomViewsOperations();
      const pm = async (P) => { const p = new Z.ParameterMap(); await p.add(P.MODULE, m); return p; };
      return {
        list: async () => o.getCustomViews(await pm(Z.CustomViews.GetCustomViewsParam)),
        get: async (id) => o.getCustomView(id, await pm(Z.CustomViews.GetCustomViewParam)),
      };
    },
    users: (pm) => new Z.Users.UsersOperations().getUsers(pm, hm()),
    coql: (query) => {
      const body = new Z.Coql.BodyWrapper();
      body.setSelectQuery(query);
      return new Z.Coql.CoqlOperations().getRecords(body);
    },
    territories: () => {
      const o = new Z.Territories.TerritoriesOperations();
      return {
        list: () => o.getTerritories(new Z.ParameterMap()),
        get: (id) => o.getTerritory(id),
        children: (id) => o.getChildTerritory(id, new Z.ParameterMap()),
        create: (body) => o.createTerritories(body),
      };
    },
    massDelete: (m) => new Z.MassDeleteCvid.MassDeleteCvidOperations(m),
    recycleBin: Z.RecycleBin ? () => new Z.RecycleBin.RecycleBinOperations() : undefined,
    notifications: () => notificationCalls(Z, opts),
  };
}

// v2Classes are the operation classes of the two CommonJS v2 SDKs (zcrmsdk, nodejs-sdk-2.0), which
// share one package layout: core/com/zoho/crm/api/<dir>/ for the operations, routes/ and utils/ beside.
function v2Classes(root, r) {
  return {
    Record: nsOf(root, "record"), Coql: nsOf(root, "query"), Territories: nsOf(root, "territories"),
    CustomViews: nsOf(root, "custom_views"), Users: nsOf(root, "users"), Org: nsOf(root, "org"),
    Fields: nsOf(root, "fields"), Modules: nsOf(root, "modules"), Notifications: nsOf(root, "notification"),
    ParameterMap: r("routes/parameter_map.js").ParameterMap, HeaderMap: r("routes/header_map.js").HeaderMap,
    Choice: r("utils/util/choice.js").Choice, SDKException: r("core/com/zoho/crm/api/exception/sdk_exception.js").SDKException,
    JSONConverter: r("utils/util/json_converter.js").JSONConverter,
  };
}

// zcrmsdk 1.1.0 (Node, API v2): Initializer.initialize(user, environment, token, store, sdkConfig,
// resourcePath, logger); OAuthToken(clientID, clientSecret, token, TokenType); no builders.
function zcrmsdk() {
  const root = pkgRoot("zcrmsdk");
  const r = (p) => require(join(root, p));
  const Z = v2Classes(root, r);
  const { Initializer } = r("routes/initializer.js");
  const { UserSignature } = r("routes/user_signature.js");
  const { Environment } = r("routes/dc/environment.js");
  const { OAuthToken, TokenType } = r("models/authenticator/oauth_token.js");
  const { FileStore } = r("models/authenticator/store/file_store.js");
  const { SDKConfigBuilder } = r("routes/sdk_config_builder.js");
  const { Logger, Levels } = r("routes/logger/logger.js");
  return {
    name: "zcrmsdk 1.1.0", pkg: "zcrmsdk", api: "v2", userSignature: true, Z, ...v2Calls(Z),
    idParam: (id) => BigInt(id), // DeleteRecordsParam.IDS is a Long here, a String in every later SDK
    async init({ url, clientId, clientSecret, tok, email, tokenFile, resourcePath, logFile }) {
      const token = tok.code
        ? new OAuthToken(clientId, clientSecret, tok.code, TokenType.GRANT)
        : new OAuthToken(clientId, clientSecret, tok.refresh_token, TokenType.REFRESH);
      const store = new FileStore(tokenFile);
      const config = new SDKConfigBuilder().setAutoRefreshFields(false).setPickListValidation(false).build();
      await Initializer.initialize(new UserSignature(email), new Environment(url, url + "/oauth/v2/token", url),
        token, store, config, resourcePath, Logger.getInstance(logFile.level ?? Levels.ERROR, logFile.path));
      return { store, token };
    },
  };
}

// The builder-style SDKs (InitializeBuilder, OAuthBuilder, LogBuilder, SDKConfigBuilder): every one
// but zcrmsdk. With userSignature, the builder needs .user(new UserSignature(email)).
function builderInit(K, { userSignature }) {
  return async ({ url, clientId, clientSecret, tok, email, tokenFile, resourcePath, logFile }) => {
    let b = new K.OAuthBuilder().clientId(clientId).clientSecret(clientSecret);
    b = tok.code ? b.grantToken(tok.code) : tok.refresh_token ? b.refreshToken(tok.refresh_token) : b.accessToken(tok.access_token);
    const token = b.build();
    const store = new K.FileStore(tokenFile);
    const level = logFile.level ?? (K.Levels.OFF ?? K.Levels.ERROR);
    const logger = new K.LogBuilder().level(level).filePath(logFile.path).build();
    const config = new K.SDKConfigBuilder().pickListValidation(false).autoRefreshFields(false).build();
    let ib = (await new K.InitializeBuilder())
      .environment(new K.Environment(url, url + "/oauth/v2/token", url)).token(token).store(store)
      .SDKConfig(config).resourcePath(resourcePath).logger(logger);
    if (userSignature) ib = ib.user(new K.UserSignature(email));
    await ib.initialize();
    return { store, token };
  };
}

function nodejs20() {
  const root = pkgRoot("@zohocrm/nodejs-sdk-2.0");
  const r = (p) => require(join(root, p));
  const Z = v2Classes(root, r);
  const K = {
    OAuthBuilder: r("models/authenticator/oauth_builder.js").OAuthBuilder,
    FileStore: r("models/authenticator/store/file_store.js").FileStore,
    LogBuilder: r("routes/logger/log_builder.js").LogBuilder, Levels: r("routes/logger/logger.js").Levels,
    SDKConfigBuilder: r("routes/sdk_config_builder.js").SDKConfigBuilder,
    InitializeBuilder: r("routes/initialize_builder.js").InitializeBuilder,
    Environment: r("routes/dc/environment.js").Environment, UserSignature: r("routes/user_signature.js").UserSignature,
  };
  return { name: "@zohocrm/nodejs-sdk-2.0 6.1.0", pkg: "@zohocrm/nodejs-sdk-2.0", api: "v2", userSignature: true, Z, ...v2Calls(Z), init: builderInit(K, { userSignature: true }) };
}

function typescript21() {
  const T = require("@zohocrm/typescript-sdk-2.1");
  const Z = {
    Record: T.Records, Coql: T.Query, Territories: T.Territories, CustomViews: T.CustomViews, Users: T.Users,
    Org: T.Orgs, Fields: T.Fields, Modules: T.Modules, Notifications: T.Notifications,
    ParameterMap: T.ParameterMap, HeaderMap: T.HeaderMap, Choice: T.Choice, SDKException: T.SDKException,
    JSONConverter: T.JSONConverter,
  };
  return { name: "@zohocrm/typescript-sdk-2.1 1.1.0", pkg: "@zohocrm/typescript-sdk-2.1", api: "v2.1", userSignature: true, Z, ...v2Calls(Z), init: builderInit(T, { userSignature: true }) };
}

function v6Style(T, names, meta) {
  const Z = {
    Record: T.Record, Coql: T.Coql, Territories: T.Territories, CustomViews: T.CustomViews, Users: T.Users,
    Org: T.Org, Fields: T.Fields, Modules: T.Modules, MassDeleteCvid: T[names.massDelete ?? "MassDeleteCvid"],
    RecycleBin: T.RecycleBin, Notifications: T.Notifications,
    ParameterMap: T.ParameterMap, HeaderMap: T.HeaderMap, Choice: T.Choice, SDKException: T.SDKException,
    JSONConverter: T.JSONConverter,
  };
  return { ...meta, userSignature: false, Z, ...v6Calls(Z, { modulesTakeParams: names.modulesTakeParams, deleteEventsBoolean: names.deleteEventsBoolean }), init: builderInit(T, { userSignature: false }) };
}

// Loads one SDK's adapter by its package name.
export async function loadSDK(pkg) {
  const a = await adapter(pkg);
  return { idParam: (id) => String(id), ...a };
}

async function adapter(pkg) {
  switch (pkg) {
    case "zcrmsdk": return zcrmsdk();
    case "@zohocrm/nodejs-sdk-2.0": return nodejs20();
    case "@zohocrm/typescript-sdk-2.1": return typescript21();
    case "@zohocrm/typescript-sdk-6.0":
      return v6Style(require(pkg), { massDelete: "CvidDeleteMass" }, { name: `${pkg} 3.0.0`, pkg, api: "v6" });
    case "@zohocrm/nodejs-sdk-7.0":
      return v6Style(await import(pkg), { modulesTakeParams: true }, { name: `${pkg} 4.0.0`, pkg, api: "v7" });
    case "@zohocrm/nodejs-sdk-8.0":
      return v6Style(await import(pkg), { modulesTakeParams: true }, { name: `${pkg} 2.0.0`, pkg, api: "v8" });
    case "@zohocrm/typescript-sdk-8.0":
      return v6Style(require(pkg), { modulesTakeParams: true, deleteEventsBoolean: true }, { name: `${pkg} 3.0.0`, pkg, api: "v8" });
    default: throw new Error(`no adapter for ${pkg}`);
  }
}
