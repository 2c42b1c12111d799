// Types of deploy/local/edge.js (plain Node, run without a build) for the TypeScript tests.
import type { Server } from 'node:http';

export interface EdgeRoute {
  path: string;
  match: 'prefix' | 'exact';
  service: string;
}
export interface RouteTable {
  services: Record<string, { port: number }>;
  routes: EdgeRoute[];
}
export interface EdgeOptions {
  table: RouteTable;
  /** Each service's base URL, http://host:port. */
  upstreams: Record<string, string>;
  forwardedFor?: 'replace' | 'append';
  upstreamTimeoutMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}
export const DEFAULT_ROUTES_FILE: string;
export function loadRouteTable(file?: string): RouteTable;
export function matchRoute(routes: EdgeRoute[], pathname: string): EdgeRoute | undefined;
export function createEdge(opts: EdgeOptions): Server;
export function upstreamsFromEnv(table: RouteTable, env?: NodeJS.ProcessEnv): Record<string, string>;
