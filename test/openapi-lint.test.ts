/**
 * The OpenAPI document, linted (the rules of OpenAPI 3 that matter to a client generator and to
 * Swagger UI; no OpenAPI linter is installed, so the rules are here): every operation has a unique
 * operationId; every $ref resolves; every tag is declared; every example validates against its
 * schema (ajv, which reads OpenAPI 3.0's `nullable`); the public routes say `security: []` and
 * every other one needs the key; error responses carry their real codes; and each request example
 * is sent to the live API, which must not answer 400. `GET /` redirects to the docs page.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS } from '../api/errors.ts';
import { OPERATION_IDS, REQUEST_EXAMPLES } from '../api/schemas/openapi.ts';
import { backends } from './support/backends.ts';
import { startTestApi, type TestApi } from './api-support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const PUBLIC = new Set(['/health', '/ready']);

function operations(doc: Json): { path: string; method: string; op: Json }[] {
  const out: { path: string; method: string; op: Json }[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) for (const m of METHODS) if (item[m]) out.push({ path, method: m, op: item[m] });
  return out;
}

function pointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let v: Json = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object' || !(key in v)) return undefined;
    v = v[key];
  }
  return v;
}

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else if (k !== 'example' && k !== 'examples') refs(x, out);
    }
  }
  return out;
}

/** ajv over the document: a schema of it is validated through `openapi.json#/…`. */
function validatorFor(doc: Json) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  // Schemas refer to '#/components/schemas/X': resolved within the document registered as a schema.
  ajv.addSchema({ ...doc, $id: 'openapi.json' });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return (schema: Json, value: unknown): string[] => {
    const text = JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/');
    let check = compiled.get(text);
    if (check === undefined) compiled.set(text, (check = ajv.compile({ $id: `s${compiled.size}`, ...JSON.parse(text) })));
    return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/** Every example in the document with the schema it must satisfy. */
function examples(doc: Json): { where: string; schema: Json; value: unknown }[] {
  const out: { where: string; schema: Json; value: unknown }[] = [];
  const resolve = (x: Json) => (x?.$ref ? pointer(doc, x.$ref) : x) as Json;
  const media = (where: string, content: Json) => {
    for (const [type, m] of Object.entries<Json>(content ?? {})) {
      if (m.example !== undefined) out.push({ where: `${where} ${type}`, schema: m.schema, value: m.example });
      for (const [name, e] of Object.entries<Json>(m.examples ?? {})) out.push({ where: `${where} ${type} ${name}`, schema: m.schema, value: e.value });
    }
  };
  for (const { path, method, op } of operations(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    if (op.requestBody) media(`${where} body`, resolve(op.requestBody).content);
    for (const [status, r] of Object.entries<Json>(op.responses)) media(`${where} ${status}`, resolve(r).content);
    for (const p of op.parameters ?? []) if (p.example !== undefined) out.push({ where: `${where} ${p.in} ${p.name}`, schema: p.schema, value: p.example });
  }
  return out;
}

describe('OpenAPI document', () => {
  let t: TestApi;
  let cleanup: () => Promise<void>;
  let doc: Json;
  beforeAll(async () => {
    const opened = await backends[0].open();
    cleanup = opened.cleanup;
    t = await startTestApi(opened.store);
    const r = await t.http('GET', '/openapi.json', { key: null });
    expect(r.status).toBe(200);
    doc = r.json;
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('is OpenAPI 3 with servers and a security scheme', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('every operation has an operationId from the table, unique; every route of the table is in the document', () => {
    const ops = operations(doc);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id) => typeof id !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const named = new Set(Object.values(OPERATION_IDS));
    expect(ops.filter((o) => !named.has(o.op.operationId)).map((o) => `${o.method} ${o.path}: add it to OPERATION_IDS (api/schemas/openapi.ts)`)).toEqual([]);
    expect(Object.values(OPERATION_IDS).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('every $ref resolves', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(100);
    expect([...new Set(all)].filter((r) => pointer(doc, r) === undefined)).toEqual([]);
  });

  it('shares components: the document refers to schemas instead of inlining them', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Account', 'Device', 'Tariff', 'StatementDoc', 'Error']));
    expect(JSON.stringify(doc).length).toBeLessThan(250_000);
    const post = doc.paths['/v1/accounts'].post;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AccountCreate' });
    expect(post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Account' });
  });

  it('every tag used is declared, once', () => {
    const declared = doc.tags.map((t: Json) => t.name);
    expect(declared.filter((n: string, i: number) => declared.indexOf(n) !== i)).toEqual([]);
    const used = new Set(operations(doc).flatMap((o) => o.op.tags ?? []));
    expect([...used].filter((n) => !declared.includes(n))).toEqual([]);
    expect(operations(doc).filter((o) => !(o.op.tags?.length > 0)).map((o) => o.path)).toEqual([]);
  });

  it('security: [] on the public routes, the API key on every other; the scope said once', () => {
    for (const { path, method, op } of operations(doc)) {
      const where = `${method} ${path}`;
      if (PUBLIC.has(path)) expect(op.security, where).toEqual([]);
      else {
        expect(op.security, where).toEqual([{ apiKey: [] }]);
        expect(op.description?.match(/Scope: /g)?.length, where).toBe(1);
        expect(op.responses['401'], where).toEqual({ $ref: '#/components/responses/Unauthorized' });
        expect(op.responses['403'], where).toEqual({ $ref: '#/components/responses/Forbidden' });
      }
    }
  });

  it('error responses carry the codes their status really has', () => {
    for (const [name, r] of Object.entries<Json>(doc.components.responses)) {
      const ex = Object.values<Json>(r.content['application/json'].examples);
      expect(ex.length, name).toBeGreaterThan(0);
      for (const e of ex) expect(API_ERROR_STATUS[e.value.code as keyof typeof API_ERROR_STATUS], `${name} ${e.value.code}`).toBe(e.value.statusCode);
    }
    expect(Object.keys(doc.components.responses.Unauthorized.content['application/json'].examples)).toEqual(['FM_ERR_UNAUTHORIZED']);
    expect(Object.keys(doc.components.responses.Forbidden.content['application/json'].examples)).toEqual(['FM_ERR_FORBIDDEN']);
  });

  it('every example validates against its schema', () => {
    const validate = validatorFor(doc);
    const all = examples(doc);
    expect(all.length).toBeGreaterThan(Object.keys(REQUEST_EXAMPLES).length);
    const bad = all.map((e) => ({ where: e.where, errors: validate(e.schema, e.value) })).filter((e) => e.errors.length > 0);
    expect(bad).toEqual([]);
    // The check can fail: a documented example with a wrong currency does not validate.
    const post = doc.paths['/v1/accounts'].post.requestBody.content['application/json'];
    expect(validate(post.schema, { ...post.examples.documented.value, currency: 'rub' })).not.toEqual([]);
  });

  it('every request example, sent to the live API in table order, is not refused as invalid (no 400, no 5xx)', async () => {
    const byId = new Map(operations(doc).map((o) => [o.op.operationId, o]));
    let sent = 0;
    for (const id of Object.values(OPERATION_IDS)) {
      const o = byId.get(id);
      const body = o?.op.requestBody?.content?.['application/json'];
      if (!o || !body) continue;
      expect(body.examples?.documented, `${id}: no request example`).toBeDefined();
      const url = o.path.replace(/\{([^}]+)\}/g, (_m: string, name: string) => {
        const p = o.op.parameters.find((x: Json) => x.in === 'path' && x.name === name);
        expect(p?.example, `${id}: no example for path parameter ${name}`).toBeDefined();
        return encodeURIComponent(String(p.example));
      });
      const r = await t.call(o.method.toUpperCase(), url, { body: body.examples.documented.value });
      expect(r.status === 400 || r.status >= 500, `${id} ${o.method.toUpperCase()} ${url} → ${r.status} ${r.text}`).toBe(false);
      sent++;
    }
    expect(sent).toBe(Object.keys(REQUEST_EXAMPLES).length);
  });

  it('GET / redirects to the staff console; the docs page is at /docs/', async () => {
    const r = await t.call('GET', '/', { key: null });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/console/');
    expect((await t.call('GET', '/docs/', { key: null })).status).toBe(200);
  });
});
