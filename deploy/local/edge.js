#!/usr/bin/env node
// The one base URL without Kubernetes: a small reverse proxy (plain Node http, no dependency) that
// sends each request to the service deploy/routes.json names for its path, as the Ingress does
// (deploy/k8s/base/ingress). npm start (deploy/local/start-all.sh) and compose's `edge` run it.
//
//   EDGE_PORT [8080], EDGE_HOST [127.0.0.1], EDGE_ROUTES_FILE [deploy/routes.json]
//   EDGE_UPSTREAM_<SERVICE> (e.g. EDGE_UPSTREAM_AUTH_GATEWAY=http://auth-gateway:3000)
//     [http://127.0.0.1:<the service's port in routes.json>]
//   EDGE_FORWARDED_FOR [replace]: `replace` sets X-Forwarded-For to the connecting peer (this
//     edge is the first hop: what a client claims there is dropped); `append` keeps the incoming
//     list and adds the peer (only behind a load balancer that sets it itself)
//   EDGE_UPSTREAM_TIMEOUT_MS [60000]: no response header from the service within it: 504
//
// Bodies are streamed both ways; headers pass unchanged except the hop-by-hop ones; the gateway
// reads the client's address from X-Forwarded-For because it trusts this hop (TRUST_PROXY=loopback
// locally). An upstream that is down or resets answers 502, as application/problem+json.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const DEFAULT_ROUTES_FILE = path.join(__dirname, '..', 'routes.json');

// RFC 9110 7.6.1: never forwarded (and `expect`: this server already answered any 100-continue).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Reads and checks the route table: every route names a known service, every path is absolute. */
function loadRouteTable(file = DEFAULT_ROUTES_FILE) {
  const table = JSON.parse(fs.readFileSync(file, 'utf8'));
  const problems = [];
  if (!table.services || typeof table.services !== 'object') problems.push('services is missing');
  if (!Array.isArray(table.routes) || table.routes.length === 0) problems.push('routes is empty');
  for (const r of table.routes ?? []) {
    if (typeof r.path !== 'string' || !/^\/[^\s?#]*$/.test(r.path))
      problems.push(`bad path ${JSON.stringify(r.path)}`);
    if (r.match !== 'prefix' && r.match !== 'exact')
      problems.push(`${r.path}: match must be prefix or exact`);
    if (!table.services?.[r.service])
      problems.push(`${r.path}: unknown service ${JSON.stringify(r.service)}`);
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return table;
}

const segments = (p) => p.split('/').filter((s) => s !== '');

/**
 * The route for a path, as a Kubernetes Ingress chooses: an exact match first, then the longest
 * prefix matching whole segments (`/api/v1/audit` matches `/api/v1/audit/logs`, not `/api/v1/auditx`).
 */
function matchRoute(routes, pathname) {
  const exact = routes.find((r) => r.match === 'exact' && r.path === pathname);
  if (exact) return exact;
  const have = segments(pathname);
  let best;
  for (const r of routes) {
    if (r.match !== 'prefix') continue;
    const want = segments(r.path);
    if (want.length > have.length || !want.every((s, i) => s === have[i])) continue;
    if (!best || want.length > segments(best.path).length) best = r;
  }
  return best;
}

function problem(res, status, title, detail, instance) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'about:blank', title, status, detail, instance });
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The request's headers for the upstream: hop-by-hop ones dropped, X-Forwarded-* set. */
function forwardHeaders(req, forwardedFor) {
  const named = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || lower.startsWith('x-forwarded-')) continue;
    const value = req.rawHeaders[i + 1];
    out[name] = name in out ? [].concat(out[name], value) : value;
  }
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const incoming = req.headers['x-forwarded-for'];
  out['X-Forwarded-For'] = forwardedFor === 'append' && incoming ? `${incoming}, ${peer}` : peer;
  out['X-Forwarded-Proto'] =
    forwardedFor === 'append' && req.headers['x-forwarded-proto']
      ? String(req.headers['x-forwarded-proto'])
      : req.socket.encrypted
        ? 'https'
        : 'http';
  if (req.headers.host) out['X-Forwarded-Host'] = req.headers.host;
  return out;
}

function responseHeaders(upstreamRes) {
  const named = new Set(
    String(upstreamRes.headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out = {};
  for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
    const name = upstreamRes.rawHeaders[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    const value = upstreamRes.rawHeaders[i + 1];
    out[name] = name in out ? [].concat(out[name], value) : value;
  }
  return out;
}

/**
 * The edge server (not yet listening). `upstreams` maps each service of the table to its base URL
 * (`http://host:port`); `log` receives one object per failed or refused request.
 */
function createEdge({
  table,
  upstreams,
  forwardedFor = 'replace',
  upstreamTimeoutMs = 60000,
  log = () => {},
}) {
  for (const service of Object.keys(table.services)) {
    if (!upstreams[service]) throw new Error(`no upstream for ${service}`);
  }
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const rawPath = (req.url ?? '/').split('?')[0];
    if (!rawPath.startsWith('/'))
      return problem(res, 400, 'Bad Request', 'the request target must be a path', undefined);
    // Dot segments would mean one thing here and another to a normalising proxy: refused.
    if (segments(rawPath).some((s) => /^(\.|%2e){1,2}$/i.test(s)))
      return problem(res, 400, 'Bad Request', 'dot segments are not allowed in the path', rawPath);
    const route = matchRoute(table.routes, rawPath);
    if (!route) return problem(res, 404, 'Not Found', 'no service serves this path', rawPath);
    const target = new URL(upstreams[route.service]);
    const upstreamReq = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req, forwardedFor),
      agent,
    });
    upstreamReq.setTimeout(upstreamTimeoutMs, () =>
      upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })),
    );
    upstreamReq.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders(upstreamRes));
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (err) => {
      const timedOut = err.code === 'ETIMEDOUT';
      log({
        level: 'warn',
        msg: 'upstream failed',
        upstream: route.service,
        path: rawPath,
        code: err.code ?? err.message,
      });
      problem(
        res,
        timedOut ? 504 : 502,
        timedOut ? 'Gateway Timeout' : 'Bad Gateway',
        `${route.service} ${timedOut ? 'did not answer in time' : `is not answering (${err.code ?? 'error'})`}`,
        rawPath,
      );
    });
    // The client went away: stop the upstream exchange too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  });
  server.on('close', () => agent.destroy());
  return server;
}

/** Upstream base URLs from EDGE_UPSTREAM_<SERVICE>, else 127.0.0.1 and the table's port. */
function upstreamsFromEnv(table, env = process.env) {
  const out = {};
  for (const [service, { port }] of Object.entries(table.services)) {
    const variable = `EDGE_UPSTREAM_${service.toUpperCase().replace(/-/g, '_')}`;
    out[service] = env[variable]?.trim() || `http://127.0.0.1:${port}`;
    const url = new URL(out[service]);
    if (url.protocol !== 'http:') throw new Error(`${variable} must be an http:// URL`);
  }
  return out;
}

function main() {
  const say = (o) =>
    process.stderr.write(
      `${JSON.stringify({ service: 'edge', timestamp: new Date().toISOString(), ...o })}\n`,
    );
  const table = loadRouteTable(process.env.EDGE_ROUTES_FILE?.trim() || DEFAULT_ROUTES_FILE);
  const forwardedFor = process.env.EDGE_FORWARDED_FOR?.trim() || 'replace';
  if (forwardedFor !== 'replace' && forwardedFor !== 'append')
    throw new Error('EDGE_FORWARDED_FOR must be replace or append');
  const port = Number(process.env.EDGE_PORT?.trim() || 8080);
  const host = process.env.EDGE_HOST?.trim() || '127.0.0.1';
  const upstreams = upstreamsFromEnv(table);
  const server = createEdge({
    table,
    upstreams,
    forwardedFor,
    upstreamTimeoutMs: Number(process.env.EDGE_UPSTREAM_TIMEOUT_MS?.trim() || 60000),
    log: say,
  });
  server.listen(port, host, () =>
    say({ level: 'info', msg: 'edge listening', url: `http://${host}:${port}`, upstreams }),
  );
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections?.();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { loadRouteTable, matchRoute, createEdge, upstreamsFromEnv, DEFAULT_ROUTES_FILE };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`[edge] ${err.message}\n`);
    process.exit(78);
  }
}
