/**
 * Checks of a service's OpenAPI document against the service itself: the routes Express really
 * serves, the examples against their schemas (refs resolved), OpenAPI 3 validity, and real answers
 * against the documented response schemas. Schemas are checked "closed": an object schema that
 * lists its properties is read as allowing no others, so an example or an answer with a field the
 * document does not name fails.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIV3 } from 'openapi-types';

export type OpenApiDoc = OpenAPIV3.Document;
type Json = Record<string, unknown>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** `GET /api/v1/retention/holds/{id}/release` for every route the app's Express router serves. */
export function registeredRoutes(app: NestExpressApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: Layer[] };
    _router?: { stack: Layer[] };
  };
  const stack = (express.router ?? express._router)?.stack;
  if (!stack) throw new Error('no Express router on the app');
  const out = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const p of paths)
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== '_all') out.add(`${method.toUpperCase()} ${openApiPath(String(p))}`);
  }
  return [...out].sort();
}
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Express `:id` to OpenAPI `{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `METHOD /path` for every operation in the document. */
export function documentedRoutes(doc: OpenApiDoc): string[] {
  const out: string[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {}))
    for (const m of HTTP_METHODS) if (item?.[m]) out.push(`${m.toUpperCase()} ${p}`);
  return out.sort();
}

export interface Operation {
  method: (typeof HTTP_METHODS)[number];
  path: string;
  op: OpenAPIV3.OperationObject;
}

export function operations(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const method of HTTP_METHODS) {
      const op = item?.[method];
      if (op) out.push({ method, path, op });
    }
  return out;
}

/** A deep copy with every $ref resolved (the document itself is left as served). */
export async function dereferenced(doc: OpenApiDoc): Promise<OpenApiDoc> {
  return (await SwaggerParser.dereference(structuredClone(doc) as never)) as OpenApiDoc;
}

/** Throws with the parser's message unless the document is valid OpenAPI 3 (structure and refs). */
export async function validateOpenApi(doc: OpenApiDoc): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc) as never);
}

/** The schema, closed: objects that list properties allow no others (unless they say otherwise). */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const s: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    if (k === 'example' || k === 'examples') s[k] = v;
    else if (k === 'properties' && v && typeof v === 'object')
      s[k] = Object.fromEntries(Object.entries(v as Json).map(([name, p]) => [name, closed(p)]));
    else s[k] = closed(v);
  }
  if (s.properties && s.additionalProperties === undefined) s.additionalProperties = false;
  // OpenAPI 3.0's nullable, in JSON Schema's words (works beside $ref-resolved allOf as well).
  if (s.nullable === true) {
    const { nullable: _nullable, example, ...rest } = s;
    return { anyOf: [rest, { type: 'null' }], ...(example !== undefined ? { example } : {}) };
  }
  return s;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/** Validates `value` against an OpenAPI 3.0 schema (dereferenced), closed; the errors, or []. */
export function schemaErrors(schema: object, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(closed(schema) as object);
    compiled.set(schema, validate);
  }
  return validate(value)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

export interface ExampleCheck {
  where: string;
  errors: string[];
}

/**
 * Every example of a dereferenced document checked against the schema it illustrates: parameters,
 * request bodies and responses (`example` and each of `examples`), and `example` on any schema or
 * property. Returns one entry per example.
 */
export function checkExamples(doc: OpenApiDoc): ExampleCheck[] {
  const out: ExampleCheck[] = [];
  const media = (where: string, m: OpenAPIV3.MediaTypeObject | OpenAPIV3.ParameterObject) => {
    const schema = m.schema as object | undefined;
    const examples: Array<[string, unknown]> = [];
    if (m.example !== undefined) examples.push(['example', m.example]);
    for (const [name, ex] of Object.entries(m.examples ?? {}))
      examples.push([`examples.${name}`, (ex as OpenAPIV3.ExampleObject).value]);
    for (const [name, value] of examples) {
      if (!schema) out.push({ where: `${where} ${name}`, errors: ['an example without a schema'] });
      else out.push({ where: `${where} ${name}`, errors: schemaErrors(schema, value) });
    }
    if (schema) walkSchema(`${where} schema`, schema, out);
  };
  for (const { method, path, op } of operations(doc)) {
    const at = `${method.toUpperCase()} ${path}`;
    for (const p of (op.parameters ?? []) as OpenAPIV3.ParameterObject[]) media(`${at} param ${p.name}`, p);
    const body = op.requestBody as OpenAPIV3.RequestBodyObject | undefined;
    for (const [type, m] of Object.entries(body?.content ?? {})) media(`${at} body ${type}`, m);
    for (const [status, r] of Object.entries(op.responses ?? {}))
      for (const [type, m] of Object.entries((r as OpenAPIV3.ResponseObject).content ?? {}))
        media(`${at} ${status} ${type}`, m);
  }
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    walkSchema(`components.schemas.${name}`, schema as object, out);
  return out;
}

function walkSchema(where: string, schema: object, out: ExampleCheck[], seen = new Set<object>()): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  const s = schema as Json;
  if (s.example !== undefined) {
    const { example, ...rest } = s;
    out.push({ where: `${where} example`, errors: schemaErrors(rest, example) });
  }
  for (const [name, p] of Object.entries((s.properties as Json | undefined) ?? {}))
    walkSchema(`${where}.${name}`, p as object, out, seen);
  if (s.items && typeof s.items === 'object') walkSchema(`${where}[]`, s.items, out, seen);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    walkSchema(`${where}{}`, s.additionalProperties, out, seen);
  for (const k of ['allOf', 'oneOf', 'anyOf'])
    for (const [i, sub] of ((s[k] as object[] | undefined) ?? []).entries())
      walkSchema(`${where}.${k}[${i}]`, sub, out, seen);
}

/** The documented schema for an answer (status and media type), from a dereferenced document. */
export function responseSchema(
  doc: OpenApiDoc,
  method: string,
  path: string,
  status: number,
  contentType: string,
): object {
  const op = doc.paths?.[path]?.[method.toLowerCase() as (typeof HTTP_METHODS)[number]];
  if (!op) throw new Error(`${method} ${path} is not documented`);
  const response = op.responses?.[String(status)] as OpenAPIV3.ResponseObject | undefined;
  if (!response) throw new Error(`${method} ${path} documents no ${status} answer`);
  const type = contentType.split(';')[0].trim();
  const schema = response.content?.[type]?.schema;
  if (!schema) throw new Error(`${method} ${path} ${status} documents no ${type} body`);
  return schema as object;
}
