// The Kubernetes manifests (issue 16 item 4): every object of every kustomization under deploy/k8s
// validated against the Kubernetes API schema (deploy/k8s/validate.mjs: kubernetes-models'
// schemas plus unknown-field checks), then what a schema cannot see: probes, the restricted
// security context, secrets only by reference, each app's configuration complete for its own
// validated loader, autoscaling bounded by Kafka partitions, selectors that match, network
// policies that let the ingress controller and Prometheus in, the migration Job as the schema
// owner, ServiceMonitors on the metrics port, and the Ingress equal to deploy/routes.json.
// Seeds 002-22 (rolling), 002-24 / 004-55 (rollout undo through kept revisions, immutable tags).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Field } from '@vigil/config';
import { Topics } from '@vigil/contracts';
import { BUS_TOPICS, SERVICE_RIGHTS, type ServicePrincipal } from '@vigil/kafka';
import { loadRouteTable } from '../../deploy/local/edge';
import { render, type K8sObject } from '../../deploy/k8s/render';
import * as gatewayConfig from '../../apps/auth-gateway/src/config';
import * as writerConfig from '../../apps/audit-writer/src/config';
import * as monitorConfig from '../../apps/security-monitor/src/config';
import * as retentionConfig from '../../apps/retention-worker/src/config';

const ROOT = path.join(__dirname, '..', '..');
const K8S = path.join(ROOT, 'deploy', 'k8s');
const OVERLAY = path.join(K8S, 'overlays', 'production');
const VALIDATE = path.join(K8S, 'validate.mjs');

type Loader = (source: Record<string, string | undefined>) => unknown;
const APPS: Record<
  string,
  {
    principal: ServicePrincipal;
    schema: Record<string, Field<unknown>>;
    load: Loader;
    hpa: boolean;
    migrationSecret?: string;
  }
> = {
  'auth-gateway': {
    principal: 'gateway',
    schema: gatewayConfig.schema,
    load: gatewayConfig.loadAuthGatewayConfig,
    hpa: false,
  },
  'audit-writer': {
    principal: 'writer',
    schema: writerConfig.schema,
    load: writerConfig.loadAuditWriterConfig,
    hpa: true,
    // The audit store's owner migrates it; the running writer never gets its credentials.
    migrationSecret: 'vigil-audit-owner-db',
  },
  'security-monitor': {
    principal: 'monitor',
    schema: monitorConfig.schema,
    load: monitorConfig.loadSecurityMonitorConfig,
    hpa: true,
  },
  'retention-worker': {
    principal: 'retention',
    schema: retentionConfig.schema,
    load: retentionConfig.loadRetentionWorkerConfig,
    hpa: false,
  },
};

/** Variables the services read outside their schema objects (libs/config's Kafka security, OpenTelemetry). */
const READ_OUTSIDE_SCHEMA = new Set([
  'KAFKA_PASSWORD_FILE',
  'KAFKA_TLS_CA_FILE',
  'KAFKA_TLS_CERT_FILE',
  'KAFKA_TLS_KEY_FILE',
  'KAFKA_ALLOW_UNAUTHENTICATED',
  'OTEL_SERVICE_NAME',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
]);
const LOOKS_SECRET = /PASSWORD|SECRET|TOKEN|PRIVATE|ACCESS_KEY|DATABASE(_[A-Z]+)?_URL$/;

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is walked as plain data */
type Obj = K8sObject & Record<string, any>;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: unknown };
}

const objects: Obj[] = render(OVERLAY) as Obj[];
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const must = (kind: string, name: string): Obj => {
  const o = find(kind, name);
  if (!o) throw new Error(`${kind}/${name} is not in the production overlay`);
  return o;
};
/** Every pod template of the overlay (Deployments and Jobs), with its owner. */
const podTemplates = () =>
  objects
    .filter((o) => o.spec?.template?.spec)
    .map((o) => ({
      owner: `${o.kind}/${o.metadata.name}`,
      spec: o.spec.template.spec,
      labels: o.spec.template.metadata?.labels ?? {},
    }));
const containerOf = (o: Obj) => o.spec.template.spec.containers[0];
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

function validate(
  args: string[],
  input?: string,
): {
  status: number | null;
  results: Array<{ unit: string; kind: string; name: string; ok: boolean; errors: string[] }>;
} {
  const r = spawnSync(process.execPath, [VALIDATE, '--json', ...args], {
    input,
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (r.status === 2 || !r.stdout) throw new Error(`validate.mjs failed: ${r.stderr}`);
  return { status: r.status, results: JSON.parse(r.stdout) };
}

describe('deploy/k8s: every object is valid Kubernetes', () => {
  it('every object of every base unit and overlay passes the API schema and has no unknown field', () => {
    const { status, results } = validate([]);
    const invalid = results
      .filter((r) => !r.ok)
      .map((r) => `${r.unit} ${r.kind}/${r.name}: ${r.errors.join('; ')}`);
    expect(invalid).toEqual([]);
    expect(status).toBe(0);
    const units = new Set(results.map((r) => r.unit));
    for (const app of [...Object.keys(APPS), 'ingress', 'kafka-provision']) {
      expect(units).toContain(`deploy/k8s/base/${app}`);
      expect(units).toContain(`deploy/k8s/overlays/production/${app}`);
    }
    expect(units).toContain('deploy/k8s/overlays/production');
    // The whole overlay was checked, object for object.
    expect(results.filter((r) => r.unit === 'deploy/k8s/overlays/production')).toHaveLength(objects.length);
  });

  it('the validator refuses what the API server would: a wrong type, a misspelt field, an unknown kind', () => {
    const deployment = readFileSync(path.join(K8S, 'base', 'audit-writer', 'deployment.yaml'), 'utf8');
    const cases: Array<[string, RegExp]> = [
      [
        deployment.replace('minReadySeconds: 10', 'minReadySeconds: ten'),
        /schema: .*minReadySeconds must be integer/,
      ],
      [
        deployment.replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true'),
        /fields: .*readOnlyRootFileSystem/,
      ],
      [deployment.replace('periodSeconds: 5', 'periodSecond: 5'), /fields: .*periodSecond/],
      [deployment.replace('kind: Deployment', 'kind: Deploymnet'), /no Kubernetes schema/],
    ];
    for (const [yaml] of cases) expect(yaml).not.toBe(deployment);
    // One run for all of them: each document is reported on its own.
    const { status, results } = validate(['--stdin'], cases.map(([yaml]) => yaml).join('\n---\n'));
    expect(status).toBe(1);
    expect(results).toHaveLength(cases.length);
    cases.forEach(([, error], i) => {
      expect(results[i].ok).toBe(false);
      expect(results[i].errors.join('\n')).toMatch(error);
    });
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? it : it.skip)('render.js renders each kustomization exactly as kubectl kustomize does', () => {
    const dirs: string[] = [];
    const walk = (dir: string) => {
      if (existsSync(path.join(dir, 'kustomization.yaml'))) dirs.push(dir);
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) walk(path.join(dir, e.name));
    };
    walk(K8S);
    expect(dirs.length).toBeGreaterThanOrEqual(13);
    const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    for (const dir of dirs) {
      const theirs = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }), {
        version: '1.1',
      }).map((d) => d.toJS() as Obj);
      const ours = render(dir) as Obj[];
      expect({ dir, objects: ours.map(key).sort() }).toEqual({ dir, objects: theirs.map(key).sort() });
      for (const o of ours)
        expect({ dir, object: o }).toEqual({ dir, object: theirs.find((t) => key(t) === key(o)) });
    }
  });
});

describe('deploy/k8s/overlays/production: what the schema cannot check', () => {
  const table = loadRouteTable();

  it('every pod runs as non-root, read-only, without privileges or capabilities (and the namespace enforces it)', () => {
    const pods = podTemplates();
    expect(pods.length).toBe(Object.keys(APPS).length * 2 + 1); // Deployments, migration Jobs, kafka-provision
    for (const { owner, spec } of pods) {
      expect({ owner, pod: spec.securityContext }).toMatchObject({
        owner,
        pod: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect({ owner, automount: spec.automountServiceAccountToken }).toEqual({ owner, automount: false });
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect({ owner, container: c.name, securityContext: c.securityContext }).toEqual({
          owner,
          container: c.name,
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
        });
        // A read-only root still needs a writable /tmp.
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
        expect({
          owner,
          requests: Object.keys(c.resources?.requests ?? {}).sort(),
          memoryLimit: !!c.resources?.limits?.memory,
        }).toEqual({
          owner,
          requests: ['cpu', 'memory'],
          memoryLimit: true,
        });
      }
    }
    expect(must('Namespace', 'vigil').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(`${o.kind}/${o.metadata.name}:${o.metadata.namespace}`).toMatch(/:vigil$/);
  });

  it('secrets only by reference: no secret in a ConfigMap or a literal env value, every secret variable by secretKeyRef', () => {
    const secretVars = new Set(
      Object.values(APPS).flatMap((a) =>
        Object.values(a.schema)
          .filter((f) => f.secret)
          .map((f) => f.variable),
      ),
    );
    secretVars.add('KAFKA_PASSWORD').add('DATABASE_MIGRATION_URL');
    /** A `*_FILE` path into a Secret volume the app mounts names where a secret is, not the secret. */
    const secretFilePath = (app: string, k: string, v: string) => {
      const pod = find('Deployment', app)?.spec.template.spec;
      if (!pod || !k.endsWith('_FILE')) return false;
      const secretVolumes = new Set(
        (pod.volumes ?? [])
          .filter((vol: { secret?: unknown }) => vol.secret)
          .map((vol: { name: string }) => vol.name),
      );
      return pod.containers.some((c: { volumeMounts?: Array<{ name: string; mountPath: string }> }) =>
        (c.volumeMounts ?? []).some((m) => secretVolumes.has(m.name) && v.startsWith(`${m.mountPath}/`)),
      );
    };
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const [k, v] of Object.entries(cm.data as Record<string, string>)) {
        expect({
          configMap: cm.metadata.name,
          key: k,
          secret: (secretVars.has(k) || LOOKS_SECRET.test(k)) && !secretFilePath(cm.metadata.name, k, v),
        }).toEqual({
          configMap: cm.metadata.name,
          key: k,
          secret: false,
        });
        expect(v).not.toMatch(/:\/\/[^/\s]*:[^/\s]*@|-----BEGIN/); // no credentials in URLs, no keys
      }
    }
    let referenced = 0;
    for (const { owner, spec } of podTemplates()) {
      for (const c of spec.containers) {
        for (const e of (c.env ?? []) as EnvVar[]) {
          if (secretVars.has(e.name) || LOOKS_SECRET.test(e.name)) {
            expect({ owner, env: e.name, value: e.value, by: Object.keys(e.valueFrom ?? {}) }).toEqual({
              owner,
              env: e.name,
              value: undefined,
              by: ['secretKeyRef'],
            });
            referenced++;
          }
        }
      }
    }
    expect(referenced).toBeGreaterThanOrEqual(12);
  });

  for (const [app, spec] of Object.entries(APPS)) {
    describe(app, () => {
      const deployment = () => must('Deployment', app);
      const podLabels = () => deployment().spec.template.metadata.labels as Record<string, string>;

      it('Deployment: probes on /health/live and /health, its HTTP port, a rolling update that keeps revisions, its own immutable image tag', () => {
        const d = deployment();
        const c = containerOf(d);
        expect(c.ports).toEqual([{ name: 'http', containerPort: table.services[app].port, protocol: 'TCP' }]);
        expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
        expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(d.spec.strategy).toEqual({
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
        expect(d.spec.revisionHistoryLimit).toBeGreaterThanOrEqual(3);
        expect(c.image).toMatch(new RegExp(`/vigil/${app}:[0-9]+\\.[0-9]+\\.[0-9]+$`));
        // SIGTERM: the service stops within SHUTDOWN_TIMEOUT_MS; the pod's grace period covers it and the preStop pause.
        const shutdownMs = Number(must('ConfigMap', app).data.SHUTDOWN_TIMEOUT_MS);
        expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownMs + 5000);
        expect(selects(d.spec.selector.matchLabels, podLabels())).toBe(true);
      });

      it('configuration: the ConfigMap plus the referenced secrets load through the app’s own validated config in production', () => {
        const d = deployment();
        const c = containerOf(d);
        expect(c.envFrom).toEqual([{ configMapRef: { name: app } }]);
        const data = must('ConfigMap', app).data as Record<string, string>;
        const known = new Set([...Object.values(spec.schema).map((f) => f.variable), ...READ_OUTSIDE_SCHEMA]);
        const env = (c.env ?? []) as EnvVar[];
        const names = [...Object.keys(data), ...env.map((e) => e.name)];
        expect(names.filter((n) => !known.has(n))).toEqual([]);
        // Each secretKeyRef stands for a value a Secret would hold.
        const placeholder = (e: EnvVar) =>
          /URL$/.test(e.name)
            ? 'postgres://role:placeholder@postgres.vigil.svc:5432/vigil'
            : /PASSWORD/.test(e.name)
              ? 'Placeholder-Secret-Value-42!'
              : 'PLACEHOLDER0123456789';
        const source: Record<string, string> = { ...data };
        for (const e of env) source[e.name] = e.value ?? placeholder(e);
        expect(data.NODE_ENV).toBe('production');
        expect(() => spec.load(source)).not.toThrow();
        // Without the secrets, production refuses to start: they are really needed, and really referenced.
        expect(() => spec.load(data)).toThrow(/DATABASE_URL/);
        // The volumes the configuration points at are mounted.
        const mounts = (c.volumeMounts as Array<{ mountPath: string }>).map((m) => m.mountPath);
        for (const [k, v] of Object.entries(data)) {
          if (/(_FILE|_DIR|_KEYS)$/.test(k))
            expect({ k, mounted: mounts.some((m) => v === m || v.startsWith(`${m}/`)) }).toEqual({
              k,
              mounted: true,
            });
        }
      });

      it('migration Job: the db:migrate entrypoint for this app, from the same image, as the schema owner’s secret', () => {
        const job = must('Job', `${app}-migrate`);
        const c = containerOf(job);
        expect(c.command).toEqual([
          'node',
          '-r',
          './deploy/runtime/register-paths.js',
          'dist/tools/db-migrate.js',
          app,
        ]);
        expect(c.image).toBe(containerOf(deployment()).image);
        const dbSecret = (containerOf(deployment()).env as EnvVar[]).find((e) => e.name === 'DATABASE_URL')
          ?.valueFrom?.secretKeyRef;
        const owner = spec.migrationSecret ?? dbSecret?.name;
        expect(c.env).toEqual([
          {
            name: 'DATABASE_MIGRATION_URL',
            valueFrom: { secretKeyRef: { name: owner, key: 'database-url' } },
          },
        ]);
        expect(job.spec.template.spec.restartPolicy).toBe('Never');
        expect(job.metadata.labels?.['app.kubernetes.io/component']).toBe('migration');
        // The owner's credentials reach no running pod of the app.
        if (spec.migrationSecret) expect(JSON.stringify(deployment())).not.toContain(spec.migrationSecret);
        // The entrypoint exists and knows the app, and the image carries it.
        expect(readFileSync(path.join(ROOT, 'tools', 'db-migrate.ts'), 'utf8')).toContain(`'${app}': {`);
        expect(readFileSync(path.join(ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8')).toMatch(
          /COPY --from=build \/app\/dist\/tools\/db-migrate\.js/,
        );
      });

      it('Service, PodDisruptionBudget and ServiceMonitor select this app’s pods and its metrics port', () => {
        const svc = must('Service', app);
        expect(selects(svc.spec.selector, podLabels())).toBe(true);
        expect(svc.spec.ports).toEqual([
          { name: 'http', port: table.services[app].port, targetPort: 'http', protocol: 'TCP' },
        ]);
        const pdb = must('PodDisruptionBudget', app);
        expect(pdb.spec.selector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
        expect(selects(pdb.spec.selector.matchLabels, podLabels())).toBe(true);
        // Never a budget that blocks every drain: fewer required than the least replicas.
        const least = find('HorizontalPodAutoscaler', app)?.spec.minReplicas ?? deployment().spec.replicas;
        expect(pdb.spec.minAvailable).toBeLessThan(least);
        // Only this app's pods: the migration Job's pods are not in the budget or behind the Service.
        expect(
          selects(pdb.spec.selector.matchLabels, must('Job', `${app}-migrate`).spec.template.metadata.labels),
        ).toBe(false);
        const sm = must('ServiceMonitor', app);
        expect(selects(sm.spec.selector.matchLabels, svc.metadata.labels ?? {})).toBe(true);
        expect(sm.spec.endpoints).toHaveLength(1);
        const port = svc.spec.ports.find((p: { name: string }) => p.name === sm.spec.endpoints[0].port);
        expect(port?.targetPort).toBe(containerOf(deployment()).ports[0].name);
        expect(sm.spec.endpoints[0].path).toBe('/metrics');
      });

      it('NetworkPolicy: the ingress controller reaches the HTTP port, Prometheus reaches /metrics there', () => {
        const np = must('NetworkPolicy', app);
        expect(np.spec.policyTypes).toContain('Ingress');
        expect(selects(np.spec.podSelector.matchLabels, podLabels())).toBe(true);
        type Rule = {
          from: Array<{ namespaceSelector?: any; podSelector?: any }>;
          ports: Array<{ port: string | number }>;
        };
        const allows = (namespace: string, pod: string) =>
          (np.spec.ingress as Rule[]).some(
            (r) =>
              r.from.some(
                (f) =>
                  f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace &&
                  f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === pod,
              ) && r.ports.some((p) => p.port === 'http' || p.port === table.services[app].port),
          );
        expect(allows('ingress-nginx', 'ingress-nginx')).toBe(true);
        expect(allows('monitoring', 'prometheus')).toBe(true);
        // Every rule names its sources and its port: nothing open to all.
        for (const r of np.spec.ingress as Rule[]) {
          expect(r.from.length).toBeGreaterThan(0);
          expect(r.ports.length).toBeGreaterThan(0);
        }
      });

      it(
        spec.hpa
          ? 'HorizontalPodAutoscaler: bounded by the partitions of the topics it consumes'
          : 'no autoscaler; a fixed replica count',
        () => {
          const hpa = find('HorizontalPodAutoscaler', app);
          if (!spec.hpa) {
            expect(hpa).toBeUndefined();
            expect(deployment().spec.replicas).toBeGreaterThanOrEqual(2);
            return;
          }
          expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
          // The HPA owns the count: a replicas field would reset it on every apply.
          expect(deployment().spec.replicas).toBeUndefined();
          const provisioned = Number(must('ConfigMap', 'kafka-provision').data.KAFKA_TOPIC_PARTITIONS);
          const partitions = (topic: string) =>
            BUS_TOPICS.find((t) => t.topic === topic)?.partitions ?? provisioned;
          const reads = SERVICE_RIGHTS[spec.principal].read;
          expect(reads).toContain(Topics.AUTH_EVENTS);
          const bound = Math.max(...reads.map(partitions));
          expect(hpa!.spec.maxReplicas).toBeLessThanOrEqual(bound);
          expect(hpa!.spec.maxReplicas).toBeLessThanOrEqual(partitions(Topics.AUTH_EVENTS));
          expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(2);
          expect(hpa!.spec.minReplicas).toBeLessThanOrEqual(hpa!.spec.maxReplicas);
        },
      );
    });
  }

  it('kafka-provision: the bus job runs the provisioning CLI as the Kafka admin, its password by reference', () => {
    const job = must('Job', 'kafka-provision');
    const c = containerOf(job);
    expect(c.command.join(' ')).toContain('dist/libs/kafka/src/provision.cli.js');
    expect(readFileSync(path.join(ROOT, 'libs', 'kafka', 'src', 'provision.cli.ts'), 'utf8')).toContain(
      'KAFKA_TOPIC_PARTITIONS',
    );
    expect(must('ConfigMap', 'kafka-provision').data).toMatchObject({
      KAFKA_USERNAME: 'vigil-admin',
      NODE_ENV: 'production',
    });
    expect(c.env).toEqual([
      { name: 'KAFKA_PASSWORD', valueFrom: { secretKeyRef: { name: 'vigil-kafka-admin', key: 'password' } } },
    ]);
  });

  it('Ingress: one host, TLS, and exactly the routes of deploy/routes.json (the edge’s table)', () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses).toHaveLength(1);
    const [ing] = ingresses;
    expect(ing.spec.rules).toHaveLength(1);
    const [rule] = ing.spec.rules;
    expect(ing.spec.tls).toEqual([{ hosts: [rule.host], secretName: expect.any(String) }]);
    const paths = (rule.http.paths as any[]).map((p) => ({
      path: p.path,
      match: p.pathType === 'Exact' ? 'exact' : p.pathType === 'Prefix' ? 'prefix' : p.pathType,
      service: p.backend.service.name,
      port: p.backend.service.port.name,
    }));
    const sort = (xs: Array<{ path: string; match: string }>) =>
      [...xs].sort((a, b) => `${a.path} ${a.match}`.localeCompare(`${b.path} ${b.match}`));
    expect(sort(paths)).toEqual(sort(table.routes.map((r) => ({ ...r, port: 'http' }))));
    // Every backend is a Service of the overlay with that named port.
    for (const p of paths)
      expect(must('Service', p.service).spec.ports.map((x: { name: string }) => x.name)).toContain(p.port);
    // The seeds' curls: $BASE/health, $BASE/api/v1/health, login, the audit API, each service's health.
    const served = (url: string) =>
      paths.some((p) =>
        p.match === 'exact' ? url === p.path : url === p.path || url.startsWith(`${p.path}/`),
      );
    for (const url of [
      '/health',
      '/api/v1/health',
      '/api/v1/auth/login',
      '/api/auth/me',
      '/api/v1/audit/logs',
      '/api/v1/audit/health/ready',
      '/api/v1/monitor/health',
      '/api/v1/retention/health',
    ]) {
      expect({ url, served: served(url) }).toEqual({ url, served: true });
    }
    expect(served('/metrics')).toBe(false);
    expect(isDeepStrictEqual(Object.keys(table.services).sort(), Object.keys(APPS).sort())).toBe(true);
  });
});
