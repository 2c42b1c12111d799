/**
 * Turns a service's OpenAPI document into hostile requests: for every operation, every path
 * parameter, query parameter and top-level body property in turn gets each string of a corpus,
 * the rest of the request staying as the document's examples describe it. The document is held
 * equal to the routes Express serves by the OpenAPI suites (test/operations, test/auth-gateway),
 * so every endpoint is reached.
 */
import type { OpenAPIV3 } from 'openapi-types';
import { operations, type OpenApiDoc } from '../../operations/support/openapi-checks';

export type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

export interface HostileCase {
  /** `POST /api/v1/admin/users body.username`. */
  target: string;
  op: string;
  method: Method;
  path: string;
  /** JSON body, or form fields when `form`. */
  body?: Record<string, unknown>;
  form?: boolean;
  /** The hostile string this case carries. */
  value: string;
  field: { in: 'path' | 'query' | 'body'; name: string };
}

/** A path parameter's stand-in when the document has no example: an id of nothing. */
export const NOBODY = '00000000-0000-4000-8000-00000000dead';

function exampleOf(schema: OpenAPIV3.SchemaObject | undefined): unknown {
  if (!schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.type === 'object' && schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(schema.properties)) {
      const v = exampleOf(p as OpenAPIV3.SchemaObject);
      if (v !== undefined && (schema.required ?? []).includes(k)) out[k] = v;
    }
    return out;
  }
  if (schema.type === 'array') {
    const item = exampleOf(schema.items as OpenAPIV3.SchemaObject);
    return item === undefined ? [] : [item];
  }
  if (schema.type === 'string') return schema.format === 'uuid' ? NOBODY : 'x';
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return false;
  return undefined;
}

export interface OperationPlan {
  op: string;
  method: Method;
  template: string;
  pathParams: Record<string, string>;
  query: Record<string, string>;
  body?: Record<string, unknown>;
  bodyFields: string[];
  form: boolean;
  guarded: boolean;
}

/** Each operation with a valid-looking base request built from its examples. */
export function plans(doc: OpenApiDoc): OperationPlan[] {
  return operations(doc)
    .filter(({ method }) => method !== 'head' && method !== 'options')
    .map(({ method, path, op }) => {
      const pathParams: Record<string, string> = {};
      const query: Record<string, string> = {};
      for (const p of (op.parameters ?? []) as OpenAPIV3.ParameterObject[]) {
        const ex = p.example ?? exampleOf(p.schema as OpenAPIV3.SchemaObject);
        if (p.in === 'path') pathParams[p.name] = ex === undefined ? NOBODY : String(ex);
        if (p.in === 'query') query[p.name] = ex === undefined ? '' : String(ex);
      }
      const content = (op.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content ?? {};
      const json = content['application/json'];
      const formMedia = content['application/x-www-form-urlencoded'];
      const media = json ?? formMedia;
      const schema = media?.schema as OpenAPIV3.SchemaObject | undefined;
      let body: Record<string, unknown> | undefined;
      if (media) {
        const ex =
          media.example ??
          Object.values(media.examples ?? {}).map((e) => (e as OpenAPIV3.ExampleObject).value)[0] ??
          exampleOf(schema);
        body = ex && typeof ex === 'object' ? { ...(ex as Record<string, unknown>) } : {};
      }
      const bodyFields = [...new Set([...Object.keys(schema?.properties ?? {}), ...Object.keys(body ?? {})])];
      return {
        op: `${method.toUpperCase()} ${path}`,
        method: method as Method,
        template: path,
        pathParams,
        query,
        body,
        bodyFields,
        form: !json && !!formMedia,
        guarded: (op.security ?? []).some((s) => Object.keys(s).length > 0),
      };
    });
}

/** Percent-encodes the UTF-8 bytes of `v` (a lone surrogate goes as EF BF BD, as any client would send it). */
export function pct(v: string): string {
  let out = '';
  for (const b of Buffer.from(v, 'utf8'))
    out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** The request path of `plan` with `pathParams` and `query` filled in, every value percent-encoded. */
export function urlOf(
  template: string,
  pathParams: Record<string, string>,
  query: Record<string, string>,
): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => pct(pathParams[name] ?? NOBODY));
  const q = Object.entries(query)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
  return q ? `${path}?${q}` : path;
}

/** Every field of `plan` carrying each string of `corpusFor(field)`. */
export function casesOf(
  plan: OperationPlan,
  corpusFor: (target: string) => readonly string[],
): HostileCase[] {
  const out: HostileCase[] = [];
  const fields: Array<HostileCase['field']> = [
    ...Object.keys(plan.pathParams).map((name) => ({ in: 'path' as const, name })),
    ...Object.keys(plan.query).map((name) => ({ in: 'query' as const, name })),
    ...plan.bodyFields.map((name) => ({ in: 'body' as const, name })),
  ];
  for (const field of fields) {
    const target = `${plan.op} ${field.in}.${field.name}`;
    for (const value of corpusFor(target)) {
      const pathParams = { ...plan.pathParams };
      const query = { ...plan.query };
      const body = plan.body ? { ...plan.body } : undefined;
      if (field.in === 'path') pathParams[field.name] = value;
      if (field.in === 'query') query[field.name] = value;
      if (field.in === 'body') body![field.name] = value;
      out.push({
        target,
        op: plan.op,
        method: plan.method,
        path: urlOf(plan.template, pathParams, query),
        body,
        form: plan.form,
        value,
        field,
      });
    }
  }
  return out;
}
