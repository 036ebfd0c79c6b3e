// Black-box conformance check of a running gengxin Open311 GeoReport v2
// server: every JSON answer is validated against docs/open311-openapi.yaml,
// and every XML answer must say the same as its JSON twin.
//
// Environment: BASE (e.g. http://127.0.0.1:8080/open311/v2), KEY (an API key
// scoped to a region), LAT/LONG (a point inside that region) and
// OUT_LAT/OUT_LONG (a point outside it).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import yaml from "js-yaml";
import { XMLParser } from "fast-xml-parser";

const here = dirname(fileURLToPath(import.meta.url));
const spec = yaml.load(readFileSync(join(here, "../../docs/open311-openapi.yaml"), "utf8"));
const { BASE, KEY, LAT, LONG, OUT_LAT, OUT_LONG } = process.env;
for (const [k, v] of Object.entries({ BASE, KEY, LAT, LONG, OUT_LAT, OUT_LONG })) {
  if (!v) {
    console.error(`missing environment variable ${k}`);
    process.exit(2);
  }
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Turn the document's "#/components/..." references into "spec#/components/...".
function rebase(node) {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? "spec" + v : rebase(v);
    }
    return out;
  }
  return node;
}
ajv.addSchema(rebase({ $id: "spec", components: spec.components }));

let failures = 0;
let checks = 0;
function fail(msg) {
  failures++;
  console.error("FAIL " + msg);
}
function pass(msg) {
  console.log("ok   " + msg);
}

// responseSchema finds the JSON schema of path (a template such as
// "/requests/{service_request_id}.json"), method and status.
function responseSchema(template, method, status) {
  const op = spec.paths[template]?.[method];
  if (!op) throw new Error(`${method} ${template} is not in the OpenAPI document`);
  let resp = op.responses[String(status)];
  if (!resp) return null;
  if (resp.$ref) {
    const name = resp.$ref.split("/").pop();
    resp = spec.components.responses[name];
  }
  return rebase(resp.content["application/json"].schema);
}

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name, jpath) =>
    ["service", "request", "error", "endpoint", "format", "attribute", "value", "stage"].includes(name) &&
    jpath.split(".").length > 1 &&
    // "stage" is also a field name; only the items of <stages> are lists.
    !(name === "stage" && !jpath.endsWith("stages.stage")),
});

// unwrap turns the parsed XML into the JSON shape: list wrappers become
// arrays, scalars stay strings.
const wrappers = {
  services: "service",
  service_requests: "request",
  errors: "error",
  endpoints: "endpoint",
  formats: "format",
  attributes: "attribute",
  values: "value",
  stages: "stage",
};
function unwrap(node, name) {
  if (name in wrappers) {
    if (node === "" || node === undefined) return [];
    return (node[wrappers[name]] ?? []).map((x) => unwrap(x, wrappers[name] + "#"));
  }
  if (node && typeof node === "object" && !Array.isArray(node)) {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = unwrap(v, k);
    return out;
  }
  return node;
}
// normal turns JSON values into the strings XML carries.
function normal(v) {
  if (Array.isArray(v)) return v.map(normal);
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = normal(x);
    return out;
  }
  return v === null || v === undefined ? "" : String(v);
}
// isEmpty: an absent value, an empty string and an empty list say the same
// (XML cannot tell them apart).
const isEmpty = (v) => v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
function same(a, b, path = "") {
  if (isEmpty(a) && isEmpty(b)) return null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: list against ${JSON.stringify(Array.isArray(a) ? b : a)}`;
    if (a.length !== b.length) return `${path}: ${a.length} items against ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = same(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && typeof a === "object" && b && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = same(a[k] ?? "", b[k] ?? "", `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${path}: ${JSON.stringify(a)} against ${JSON.stringify(b)}`;
}

async function call(method, url, body) {
  const init = { method, redirect: "manual" };
  if (body) {
    init.body = new URLSearchParams(body);
    init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
  }
  const r = await fetch(url, init);
  return { status: r.status, type: r.headers.get("content-type") || "", headers: r.headers, text: await r.text() };
}

// check calls one endpoint in JSON and XML, validates the JSON answer and
// compares the XML one. path has "{fmt}" where the format goes; template is
// the OpenAPI path. Returns the parsed JSON answer.
async function check(label, method, template, path, status, body) {
  checks++;
  const js = await call(method, BASE + path.replace("{fmt}", "json"), body);
  let data;
  try {
    data = JSON.parse(js.text);
  } catch {
    fail(`${label}: JSON answer is not JSON (${js.status}): ${js.text.slice(0, 200)}`);
    return null;
  }
  if (js.status !== status) {
    fail(`${label}: JSON status ${js.status}, want ${status}: ${js.text.slice(0, 300)}`);
    return data;
  }
  if (!js.type.startsWith("application/json")) fail(`${label}: JSON Content-Type ${js.type}`);
  const schema = responseSchema(template, method.toLowerCase(), status);
  if (!schema) {
    fail(`${label}: status ${status} is not documented for ${method} ${template}`);
  } else if (!ajv.validate(schema, data)) {
    fail(`${label}: JSON answer breaks the OpenAPI schema: ${ajv.errorsText(ajv.errors)}`);
  }
  if (status >= 400) {
    if (!Array.isArray(data) || data[0]?.code !== status) fail(`${label}: error list does not carry code ${status}`);
  }
  // A POST is not repeated in XML (it would create a second request) unless
  // it is refused anyway.
  if (method === "POST" && status < 400) {
    pass(label);
    return data;
  }
  const xs = await call(method, BASE + path.replace("{fmt}", "xml"), body);
  if (xs.status !== status) {
    fail(`${label}: XML status ${xs.status}, want ${status}`);
    return data;
  }
  if (!xs.type.startsWith("text/xml")) fail(`${label}: XML Content-Type ${xs.type}`);
  if (!xs.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) fail(`${label}: XML lacks its declaration`);
  const parsed = xmlParser.parse(xs.text);
  const roots = Object.keys(parsed).filter((k) => k !== "?xml");
  if (roots.length !== 1) {
    fail(`${label}: XML has roots ${roots}`);
    return data;
  }
  const fromXML = unwrap(parsed[roots[0]], roots[0]);
  const d = same(normal(data), fromXML, roots[0]);
  if (d) fail(`${label}: XML says something else than JSON at ${d}`);
  else pass(label);
  return data;
}

const report = {
  api_key: KEY,
  service_code: "stairwell_light",
  lat: LAT,
  long: LONG,
  description: "Open311 conformance test: the stairwell light of building 3 is out",
  first_name: "Test",
  last_name: "Client",
  phone: "13800001111",
  media_url: "https://photos.example.org/stairwell.jpg",
  "attribute[location_detail]": "3号楼2单元",
};

async function main() {
  const disc = await check("discovery", "GET", "/discovery.json", "/discovery.{fmt}", 200);
  if (disc && !disc.endpoints?.some((e) => e.url === BASE)) fail(`discovery does not name ${BASE}`);

  const services = await check("services", "GET", "/services.json", "/services.{fmt}", 200);
  if (!services?.some((s) => s.service_code === "stairwell_light")) fail("services lack stairwell_light");
  await check("services in English", "GET", "/services.json", "/services.{fmt}?locale=en", 200);
  const def = await check("service definition", "GET", "/services/{service_code}.json", "/services/stairwell_light.{fmt}", 200);
  if (def?.service_code !== "stairwell_light") fail("service definition names another service");

  const created = await check("POST requests.json with the key", "POST", "/requests.json", "/requests.{fmt}", 201, report);
  const id = created?.[0]?.service_request_id;
  if (!id) {
    fail("POST gave no service_request_id");
  } else {
    const got = await check("GET requests/{id}", "GET", "/requests/{service_request_id}.json", `/requests/${id}.{fmt}`, 200);
    const r = got?.[0] ?? {};
    if (r.service_request_id !== id || r.status !== "open" || r.service_code !== "stairwell_light") fail(`request ${id}: ${JSON.stringify(r)}`);
    if (!r.expected_datetime) fail(`request ${id} has no expected_datetime`);
    if (r.media_url !== report.media_url) fail(`request ${id} lost its media_url`);
    for (const secret of ["13800001111", "Client", "Test"]) {
      if (JSON.stringify(r).includes(secret)) fail(`request ${id} shows personal data ${secret}`);
    }
    const ext = await check("GET requests/{id} with extensions", "GET", "/requests/{service_request_id}.json",
      `/requests/${id}.{fmt}?extensions=true`, 200);
    if (ext?.[0]?.extended_attributes?.state !== "reported") fail(`extended state ${JSON.stringify(ext?.[0]?.extended_attributes)}`);
    const tok = await check("GET tokens/{id}", "GET", "/tokens/{token_id}.json", `/tokens/${id}.{fmt}`, 200);
    if (tok?.[0]?.service_request_id !== id) fail("token does not answer the request id");
    const byID = await check("GET requests by service_request_id", "GET", "/requests.json", `/requests.{fmt}?service_request_id=${id}`, 200);
    if (byID?.length !== 1 || byID[0].service_request_id !== id) fail("service_request_id filter");
    const filtered = await check("GET requests with service_code and status", "GET", "/requests.json",
      "/requests.{fmt}?service_code=stairwell_light&status=open", 200);
    if (!filtered?.some((x) => x.service_request_id === id)) fail("the new request is missing from the filtered list");
    if (filtered?.some((x) => x.service_code !== "stairwell_light" || x.status !== "open")) fail("the filters let other requests through");
  }
  const closed = await check("GET closed requests, paged", "GET", "/requests.json", "/requests.{fmt}?status=closed&page_size=5&page=1", 200);
  if (closed?.length > 5 || closed?.some((x) => x.status !== "closed")) fail("status=closed or page_size is not honoured");
  const now = new Date();
  const start = new Date(now.getTime() - 30 * 86400e3).toISOString();
  const dated = await check("GET requests by date", "GET", "/requests.json",
    `/requests.{fmt}?start_date=${encodeURIComponent(start)}&end_date=${encodeURIComponent(now.toISOString())}&page_size=20`, 200);
  if (dated?.some((x) => new Date(x.requested_datetime) < new Date(start))) fail("start_date is not honoured");
  await check("GET requests with extensions", "GET", "/requests.json", "/requests.{fmt}?extensions=true&page_size=50", 200);

  // Errors.
  const { api_key, ...nokey } = report;
  await check("POST without api_key is 403", "POST", "/requests.json", "/requests.{fmt}", 403, nokey);
  await check("POST with a wrong api_key is 403", "POST", "/requests.json", "/requests.{fmt}", 403, { ...report, api_key: "gx_00000000_wrong" });
  await check("POST outside the key's region is 403", "POST", "/requests.json", "/requests.{fmt}", 403,
    { ...report, lat: OUT_LAT, long: OUT_LONG });
  await check("POST an unknown service is 400", "POST", "/requests.json", "/requests.{fmt}", 400, { ...report, service_code: "no_such_service" });
  const { service_code, ...nocode } = report;
  await check("POST without service_code is 400", "POST", "/requests.json", "/requests.{fmt}", 400, nocode);
  await check("POST with a bad lat is 400", "POST", "/requests.json", "/requests.{fmt}", 400, { ...report, lat: "north" });
  await check("GET requests with a bad date is 400", "GET", "/requests.json", "/requests.{fmt}?start_date=yesterday", 400);
  await check("GET requests with a bad status is 400", "GET", "/requests.json", "/requests.{fmt}?status=pending", 400);
  await check("GET an unknown request is 404", "GET", "/requests/{service_request_id}.json", "/requests/999999999.{fmt}", 404);
  await check("GET an unknown token is 404", "GET", "/tokens/{token_id}.json", "/tokens/999999999.{fmt}", 404);
  await check("GET an unknown service definition is 404", "GET", "/services/{service_code}.json", "/services/no_such_service.{fmt}", 404);

  console.log(`${checks} checks, ${failures} failures`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
