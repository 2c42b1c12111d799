// Alertmanager routing with the real binary (issue 16 item 2): the repository's alertmanager.yml
// (receivers pointed at this test's webhook, grouping delays at 1 s; see startAlertmanager), alerts
// posted to its API as Prometheus would post them. Proves what amtool's static checks cannot: that
// a SEV-1 is delivered to the pager route, that an ad hoc maintenance silence holds operations alerts
// back but never security ones (seed 004-72), and that a critical hides its own warning.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@vigil/testing';
import { freePort, run, startAlertmanager, startWebhook, stop } from './alerting-support';

type Labels = Record<string, string>;
interface AmAlert {
  labels: Labels;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

const alert = (labels: Labels) => ({
  labels,
  annotations: {
    summary: `${labels.alertname} (test)`,
    description: 'posted by test/operations/alertmanager-routing.e2e.test.ts',
    runbook_url: `docs/runbooks/alerts/test.md#${labels.alertname.toLowerCase()}`,
  },
});

describe('Alertmanager routing, delivered (deploy/alertmanager/alertmanager.yml)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-am-routing-'));
  let am: Awaited<ReturnType<typeof startAlertmanager>>;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;

  const post = async (...alerts: Array<ReturnType<typeof alert>>) => {
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(res.status).toBe(200);
  };
  const state = async (labels: Labels): Promise<AmAlert | undefined> => {
    const filter = Object.entries(labels)
      .map(([k, v]) => `filter=${encodeURIComponent(`${k}="${v}"`)}`)
      .join('&');
    const list = (await (await fetch(`${am.url}/api/v2/alerts?${filter}`)).json()) as AmAlert[];
    const found = list[0];
    return found && found.status.state !== 'unprocessed' ? found : undefined;
  };
  const delivered = (path: string, alertname: string, extra: Labels = {}) =>
    webhook.calls.find(
      (c) =>
        c.path === path &&
        c.body.alerts.some(
          (a) =>
            a.labels.alertname === alertname &&
            a.status === 'firing' &&
            Object.entries(extra).every(([k, v]) => a.labels[k] === v),
        ),
    );

  beforeAll(async () => {
    const [amPort, webhookPort] = [await freePort(), await freePort()];
    webhook = await startWebhook(webhookPort);
    am = await startAlertmanager(tmp, amPort, webhookPort);
    await waitFor(async () => (await fetch(`${am.url}/-/ready`)).ok, {
      timeoutMs: 30_000,
      what: `alertmanager ready\n${am.output()}`,
    });
  });

  afterAll(async () => {
    await stop(am?.child);
    await webhook?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('seed 000-34, 000-36: a SEV-1 is delivered to the pager route and a SEV-3 to the ticket route', async () => {
    await post(
      alert({
        alertname: 'VigilServiceDown',
        job: 'auth-gateway',
        sev: 'SEV-1',
        severity: 'critical',
        seed: '000-23 000-34',
        domain: 'operations',
      }),
      alert({
        alertname: 'VigilDeadLetters',
        job: 'audit-writer',
        topic: 't',
        reason: 'invalid_payload',
        sev: 'SEV-3',
        severity: 'medium',
        seed: '002-04 004-19',
        domain: 'operations',
      }),
    );
    const page = await waitFor(() => delivered('/alerts/sev1-page', 'VigilServiceDown'), {
      timeoutMs: 30_000,
      what: 'the SEV-1 on the pager route',
    });
    expect(page.body.receiver).toBe('sev1-page');
    const ticket = await waitFor(() => delivered('/alerts/ticket', 'VigilDeadLetters'), {
      timeoutMs: 30_000,
      what: 'the SEV-3 on the ticket route',
    });
    expect(ticket.body.receiver).toBe('sev3-ticket');
    expect(ticket.body.alerts[0].annotations.runbook_url).toBe(
      'docs/runbooks/alerts/test.md#vigildeadletters',
    );
    expect(delivered('/alerts/sev1-page', 'VigilDeadLetters')).toBeUndefined();
  });

  it('seed 004-72: a maintenance silence (amtool silence add domain=operations) holds an operations page back, never a security one; expiring it delivers the page', async () => {
    const url = `--alertmanager.url=${am.url}`;
    const added = await run('amtool', [
      'silence',
      'add',
      url,
      '--duration=1h',
      '--author=on-call',
      '--comment=maintenance: test',
      'domain=operations',
    ]);
    expect(added.code).toBe(0);
    const silenceId = added.output.trim().split('\n').pop()!;
    expect(silenceId).toMatch(/^[0-9a-f-]{36}$/);

    const ops = {
      alertname: 'VigilDbPoolSaturationCritical',
      job: 'audit-writer',
      instance: 'aw-1:3001',
      sev: 'SEV-1',
      severity: 'critical',
      seed: '002-12 001-35',
      domain: 'operations',
    };
    const sec = {
      alertname: 'VigilAuthFailuresSpike',
      job: 'auth-gateway',
      sev: 'SEV-1',
      severity: 'critical',
      seed: '002-11 000-25',
      domain: 'security',
    };
    await post(alert(ops), alert(sec));

    await waitFor(() => delivered('/alerts/sev1-page', sec.alertname), {
      timeoutMs: 30_000,
      what: 'the security page',
    });
    await waitFor(() => delivered('/alerts/security', sec.alertname), {
      timeoutMs: 30_000,
      what: 'the CISO notice',
    });
    const held = await waitFor(() => state({ alertname: ops.alertname }), {
      what: 'the operations alert processed',
    });
    expect(held.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceId] });
    expect((await state({ alertname: sec.alertname }))!.status.state).toBe('active');
    expect(delivered('/alerts/sev1-page', ops.alertname)).toBeUndefined();

    expect((await run('amtool', ['silence', 'expire', url, silenceId])).code).toBe(0);
    const page = await waitFor(() => delivered('/alerts/sev1-page', ops.alertname), {
      timeoutMs: 30_000,
      what: 'the operations page once maintenance ended',
    });
    expect(page.body.receiver).toBe('sev1-page');
  });

  it('seed 002-10: a 5xx page for a route hides the 1 % warning of that route, not of another', async () => {
    const route = (alertname: string, http_route: string, sev: string, severity: string) => ({
      alertname,
      job: 'audit-writer',
      http_route,
      sev,
      severity,
      seed: '002-10',
      domain: 'operations',
    });
    await post(
      alert(route('VigilHttp5xxRatioCritical', '/api/v1/audit/logs', 'SEV-1', 'critical')),
      alert(route('VigilHttp5xxRatioHigh', '/api/v1/audit/logs', 'SEV-3', 'medium')),
      alert(route('VigilHttp5xxRatioHigh', '/api/v1/audit/security', 'SEV-3', 'medium')),
    );
    const hidden = await waitFor(
      () => state({ alertname: 'VigilHttp5xxRatioHigh', http_route: '/api/v1/audit/logs' }),
      { what: 'the warning processed' },
    );
    expect(hidden.status.state).toBe('suppressed');
    expect(hidden.status.inhibitedBy).toHaveLength(1);
    const other = await waitFor(
      () => state({ alertname: 'VigilHttp5xxRatioHigh', http_route: '/api/v1/audit/security' }),
      { what: "the other route's warning processed" },
    );
    expect(other.status).toMatchObject({ state: 'active', inhibitedBy: [] });
    await waitFor(
      () => delivered('/alerts/ticket', 'VigilHttp5xxRatioHigh', { http_route: '/api/v1/audit/security' }),
      {
        timeoutMs: 30_000,
        what: "the other route's warning on the ticket route",
      },
    );
  });
});
