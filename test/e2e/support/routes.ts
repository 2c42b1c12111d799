import 'reflect-metadata';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { JwtAuthGuard, ROLES_KEY } from '@vigil/auth';

export interface DiscoveredRoute {
  /** `GET /api/v1/audit/logs` (the route template, as Nest registered it). */
  key: string;
  method: string;
  path: string;
  /** Behind JwtAuthGuard (`@Roles` or `@Authenticated`, or a guard that hands bearer requests to it: `bearerGuard`). */
  guarded: boolean;
  /** The roles `@Roles` requires (undefined: any authenticated caller). */
  roles?: string[];
}

const paths = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v ?? '']).map((p) => String(p).replace(/^\/+|\/+$/g, ''));

/**
 * Every HTTP route of an app, read from Nest's own route metadata (controllers, handlers, guards,
 * roles), so a new endpoint appears here without anyone listing it.
 */
export function discoverRoutes(app: INestApplication): DiscoveredRoute[] {
  const routes = new Map<string, DiscoveredRoute>();
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctl) continue;
      const classGuards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, ctl) ?? [];
      for (const name of Object.getOwnPropertyNames(ctl.prototype)) {
        const handler = (ctl.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
        if (method === undefined || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
        const guards = [...classGuards, ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? [])];
        const roles: string[] | undefined =
          Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, ctl);
        for (const base of paths(Reflect.getMetadata(PATH_METADATA, ctl))) {
          for (const sub of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
            const path = `/${[base, sub].filter(Boolean).join('/')}`;
            const verb = RequestMethod[method];
            routes.set(`${verb} ${path}`, {
              key: `${verb} ${path}`,
              method: verb,
              path,
              guarded: guards.some(
                (g) => g === JwtAuthGuard || (g as { bearerGuard?: unknown }).bearerGuard === JwtAuthGuard,
              ),
              roles,
            });
          }
        }
      }
    }
  }
  return [...routes.values()].sort((a, b) => a.key.localeCompare(b.key));
}
