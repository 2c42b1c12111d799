import { applyDecorators } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';

/** RFC 9457 problem details, as ProblemFilter writes them (`application/problem+json`). */
export class ProblemDetails {
  @ApiProperty({ format: 'uri', example: 'https://vigil.dev/problems/bad-request' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ minimum: 400, maximum: 599, example: 400 })
  status!: number;

  @ApiPropertyOptional({ example: 'request validation failed' })
  detail?: string;

  @ApiPropertyOptional({ description: 'the request path', example: '/api/v1/audit/logs' })
  instance?: string;

  @ApiPropertyOptional({ description: 'X-Request-Id, echoed in the logs', example: 'req-7f3a9c' })
  requestId?: string;

  @ApiPropertyOptional({
    description: 'what was wrong with the request (validation messages, or the problems found)',
    type: 'array',
    items: { type: 'string' },
    example: ['limit must not be greater than 100000'],
  })
  errors?: unknown;
}

/** What each status means on every Vigil API, with a body as the service answers it. */
const PROBLEMS: Record<number, { description: string; slug: string; title: string; detail: string }> = {
  400: {
    description: 'The request is malformed (a parameter or body field failed validation)',
    slug: 'bad-request',
    title: 'Bad Request',
    detail: 'request validation failed',
  },
  401: {
    description:
      'No bearer access token, or one that is invalid, expired or revoked (WWW-Authenticate says which)',
    slug: 'unauthorized',
    title: 'Unauthorized',
    detail: 'a bearer access token is required',
  },
  403: {
    description: 'The token carries none of the roles this operation needs (recorded as ACCESS_DENIED)',
    slug: 'forbidden',
    title: 'Forbidden',
    detail: 'requires one of the roles: admin',
  },
  404: { description: 'No such resource', slug: 'not-found', title: 'Not Found', detail: 'not found' },
  409: {
    description: 'Conflicts with work in progress',
    slug: 'conflict',
    title: 'Conflict',
    detail: 'another retention run is in progress',
  },
  422: {
    description: 'Understood, but refused',
    slug: 'unprocessable-entity',
    title: 'Unprocessable Entity',
    detail: 'the request was refused',
  },
  500: {
    description: 'An internal error (no internals are disclosed; the request id finds the log line)',
    slug: 'internal-server-error',
    title: 'Internal Server Error',
    detail: 'internal error',
  },
  503: {
    description: 'A dependency is unavailable (e.g. the token keys cannot be fetched); retry shortly',
    slug: 'keys-unavailable',
    title: 'Service Unavailable',
    detail: 'token keys are unavailable; retry shortly',
  },
};

export interface ProblemResponseOptions {
  status: number;
  description?: string;
  /** The example's detail (and type slug) where this route says something more precise. */
  detail?: string;
  slug?: string;
  title?: string;
  errors?: string[];
}

/**
 * Documents error answers as `application/problem+json` (RFC 9457) with an example each. A status
 * alone uses the platform-wide wording; an object says what this route means by it.
 */
export function ApiProblems(
  ...answers: Array<number | ProblemResponseOptions>
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetails),
    ...answers.map((a) => {
      const o = typeof a === 'number' ? { status: a } : a;
      const base = PROBLEMS[o.status] ?? {
        description: `HTTP ${o.status}`,
        slug: String(o.status),
        title: `HTTP ${o.status}`,
        detail: `HTTP ${o.status}`,
      };
      const slug = o.slug ?? base.slug;
      return ApiResponse({
        status: o.status,
        description: o.description ?? base.description,
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDetails) },
            example: {
              type: `https://vigil.dev/problems/${slug}`,
              title: o.title ?? base.title,
              status: o.status,
              detail: o.detail ?? base.detail,
              requestId: 'req-7f3a9c',
              ...(o.errors ? { errors: o.errors } : {}),
            },
          },
        },
      });
    }),
  );
}

/** The OpenAPI extension naming the roles an operation needs (any one of them). */
export const REQUIRED_ROLES_EXTENSION = 'x-required-roles';

/**
 * Documents what `@Roles(...)` enforces: a bearer access token (the gateway's) carrying one of
 * `roles`, else 401 / 403 problems. Put it next to `@Roles` with the same roles; the OpenAPI tests
 * check the document against what the guards answer.
 */
export function ApiRoles(...roles: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiExtension(REQUIRED_ROLES_EXTENSION, roles),
    ApiProblems(
      401,
      {
        status: 403,
        detail: `requires one of the roles: ${roles.join(', ')}`,
        description: `The token carries none of the roles ${roles.join(', ')} (recorded as ACCESS_DENIED)`,
      },
      503,
    ),
  );
}

type SecuritySchemeObject = Parameters<DocumentBuilder['addSecurity']>[1];

export interface OpenApiOptions {
  title: string;
  description: string;
  /**
   * Where the UI is served (`api/v1/audit/docs`); the JSON document at `<path>-json`. Under the
   * service's own API prefix, so the one base URL reaches it with no rewrite.
   */
  path: string;
  /**
   * Security schemes beside `bearer` (the gateway's `basic`: OAuth client authentication, RFC 6749
   * §2.3.1), for operations that name them (`@ApiSecurity('basic')`).
   */
  securitySchemes?: Record<string, SecuritySchemeObject>;
}

/** The service's OpenAPI document, from its controllers' decorators. */
export function buildOpenApiDocument(app: NestExpressApplication, opts: OpenApiOptions): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription(opts.description)
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token from the auth-gateway (POST /api/v1/auth/token), verified against its JWKS',
    });
  for (const [name, scheme] of Object.entries(opts.securitySchemes ?? {})) builder.addSecurity(name, scheme);
  return SwaggerModule.createDocument(app, builder.build(), { extraModels: [ProblemDetails] });
}

/** Serves the document: the UI at `/<path>`, JSON at `/<path>-json` (and YAML at `/<path>-yaml`). */
export function setupOpenApi(app: NestExpressApplication, opts: OpenApiOptions): OpenAPIObject {
  const doc = buildOpenApiDocument(app, opts);
  SwaggerModule.setup(opts.path, app, doc, { jsonDocumentUrl: `${opts.path}-json` });
  return doc;
}

/** Whether the OpenAPI docs are served: API_DOCS_ENABLED when set, else everywhere but production. */
export function apiDocsEnabled(config: { apiDocsEnabled?: boolean; nodeEnv: string }): boolean {
  return config.apiDocsEnabled ?? config.nodeEnv !== 'production';
}
