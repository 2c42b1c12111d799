/**
 * The security view (seed 001-09, 001-16, 001-18, 001-19, 003-14): login failures, lockouts,
 * 429s, alerts by severity, responses taken, and from the audit store the top source IPs and
 * targeted accounts, which would be unbounded label sets in Prometheus.
 */
import { HTTP, graph, grid, prom, row, single, sql, vigilDashboard } from './common';

const GW = 'job="auth-gateway"';
const MON = 'job="security-monitor"';

export const TOP_SOURCE_IPS_SQL = `
  SELECT host(ip_address) AS "source IP",
         count(*) FILTER (WHERE action = 'FAILED_AUTH_LOGIN') AS "failed logins",
         count(*) FILTER (WHERE action = 'RATE_LIMITED') AS "rate limited",
         count(DISTINCT username) FILTER (WHERE action = 'FAILED_AUTH_LOGIN') AS "accounts tried",
         max(created_at) AS "last seen"
    FROM audit_logs
   WHERE action IN ('FAILED_AUTH_LOGIN', 'RATE_LIMITED') AND ip_address IS NOT NULL
     AND $__timeFilter(created_at)
   GROUP BY ip_address
   ORDER BY 2 DESC, 3 DESC
   LIMIT 20`;

export const TOP_TARGETED_ACCOUNTS_SQL = `
  SELECT coalesce(username, user_id::text, '(unknown)') AS account,
         count(*) AS "failed logins",
         count(DISTINCT ip_address) AS "source IPs",
         max(created_at) AS "last seen"
    FROM audit_logs
   WHERE action = 'FAILED_AUTH_LOGIN' AND $__timeFilter(created_at)
   GROUP BY 1
   ORDER BY 2 DESC
   LIMIT 20`;

export const LOCKOUTS_SQL = `
  SELECT $__timeGroupAlias(created_at, $__interval),
         count(*) FILTER (WHERE action = 'ACCOUNT_LOCKED') AS locked,
         count(*) FILTER (WHERE action = 'ACCOUNT_UNLOCKED') AS unlocked
    FROM audit_logs
   WHERE action IN ('ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED') AND $__timeFilter(created_at)
   GROUP BY 1
   ORDER BY 1`;

export const ADMIN_ACTIVITY_SQL = `
  SELECT created_at AS time, action, outcome,
         coalesce(actor_user_id, '(system)') AS actor,
         array_to_string(actor_roles, ',') AS "actor roles",
         coalesce(username, user_id::text) AS subject,
         reason
    FROM audit_logs
   WHERE action IN ('ROLE_CHANGED', 'USER_CREATED', 'USER_DEACTIVATED', 'ACCOUNT_UNLOCKED', 'TOKEN_REVOKED')
     AND $__timeFilter(created_at)
   ORDER BY created_at DESC
   LIMIT 100`;

export const RECENT_ALERTS_SQL = `
  SELECT created_at AS time,
         details->'attributes'->>'severity' AS severity,
         details->'attributes'->>'sev' AS sev,
         details->'attributes'->>'status' AS status,
         details->'attributes'->>'ruleId' AS rule,
         details->'attributes'->>'count' AS count,
         coalesce(host(ip_address), username, user_id::text) AS key
    FROM audit_logs
   WHERE action = 'SECURITY_ALERT' AND $__timeFilter(created_at)
   ORDER BY created_at DESC
   LIMIT 100`;

export function security() {
  return vigilDashboard(
    'vigil-security',
    'Vigil · Security',
    'Authentication abuse and the responses to it. Counts from Prometheus; who and from where from the audit store.',
  )
    .time({ from: 'now-24h', to: 'now' })
    .withRow(row('Now'))
    .withPanel(
      single('Failed logins', prom(`sum(increase(auth_logins_total{${GW}, outcome="failure"}[$__range]))`), {
        description: 'Over the time range.',
        thresholds: [
          [null, 'green'],
          [50, 'orange'],
          [500, 'red'],
        ],
      }),
    )
    .withPanel(
      single(
        'Logins refused by throttles',
        prom(`sum(increase(auth_logins_total{${GW}, outcome="rate_limited"}[$__range]))`),
        { description: 'Per-account lockout and per-IP throttle refusals, over the time range.' },
      ),
    )
    .withPanel(
      single(
        '429 responses',
        prom(`sum(increase(${HTTP}_count{http_response_status_code="429"}[$__range]))`),
        { description: 'Every service, over the time range (seed 001-16).' },
      ),
    )
    .withPanel(
      single('Alerts firing now', prom(`sum(monitor_alerts_active{${MON}})`), {
        thresholds: [
          [null, 'green'],
          [1, 'red'],
        ],
      }),
    )
    .withPanel(
      single(
        'Responses published',
        prom(`sum(increase(monitor_actions_total{${MON}, mode="published"}[$__range]))`),
        { description: 'Lock, block and revoke commands sent to the gateway over the time range.' },
      ),
    )
    .withPanel(
      single(
        'Responses the gateway refused',
        prom(
          `sum(increase(security_actions_applied_total{${GW}, result="rejected"}[$__range])) or vector(0)`,
        ),
        {
          description: 'Bad signature, expired, replayed or against policy: look at the gateway logs.',
          thresholds: [
            [null, 'green'],
            [1, 'red'],
          ],
        },
      ),
    )
    .withRow(row('Logins'))
    .withPanel(
      graph(
        'Login attempts by outcome',
        [prom(`sum by (outcome) (rate(auth_logins_total{${GW}}[$__rate_interval]))`, '{{outcome}}')],
        { unit: 'reqps' },
      ),
    )
    .withPanel(
      graph(
        'Failed logins by reason',
        [
          prom(
            `sum by (reason) (rate(auth_logins_total{${GW}, outcome="failure"}[$__rate_interval]))`,
            '{{reason}}',
          ),
        ],
        { unit: 'reqps', description: 'System-wide: seed 001 warns above 50/min, pages above 100/min.' },
      ),
    )
    .withPanel(
      graph(
        'Throttle refusals by scope',
        [
          prom(
            `sum by (scope) (rate(auth_logins_total{${GW}, outcome="rate_limited"}[$__rate_interval]))`,
            '{{scope}}',
          ),
        ],
        {
          unit: 'reqps',
          description: 'scope=account: the account is locked out; scope=ip: the source is throttled.',
        },
      ),
    )
    .withPanel(
      graph('Account lockouts (audit store)', [sql(LOCKOUTS_SQL, 'time_series')], {
        description: 'ACCOUNT_LOCKED / ACCOUNT_UNLOCKED events, by the gateway and by security actions.',
      }),
    )
    .withPanel(
      graph(
        '429 responses by service and route',
        [
          prom(
            `sum by (job, http_route) (rate(${HTTP}_count{http_response_status_code="429"}[$__rate_interval]))`,
            '{{job}} {{http_route}}',
          ),
        ],
        { unit: 'reqps', span: 24, description: 'Seed 001-16: rate limit violations.' },
      ),
    )
    .withRow(row('Alerts and responses'))
    .withPanel(
      graph(
        'Alerts raised by severity',
        [
          prom(
            `sum by (severity) (increase(monitor_alerts_total{${MON}, status="firing"}[$__rate_interval]))`,
            '{{severity}}',
          ),
        ],
        { description: 'New firing alerts (the severity scale of libs/contracts).' },
      ),
    )
    .withPanel(
      grid(
        'Alerts by rule (time range)',
        prom(
          `sort_desc(sum by (rule, severity, status) (increase(monitor_alerts_total{${MON}}[$__range]))) > 0`,
          '',
          { instant: true },
        ),
      ),
    )
    .withPanel(
      graph(
        'Responses decided by the monitor',
        [
          prom(
            `sum by (action, mode) (increase(monitor_actions_total{${MON}}[$__rate_interval]))`,
            '{{action}} {{mode}}',
          ),
        ],
        {
          description:
            'published: sent to the gateway; dry_run: the rule only reports; skipped: e.g. an admin.',
        },
      ),
    )
    .withPanel(
      graph('Responses applied by the gateway', [
        prom(
          `sum by (action, result) (increase(security_actions_applied_total{${GW}}[$__rate_interval]))`,
          '{{action}} {{result}}',
        ),
      ]),
    )
    .withRow(row('Who and from where (audit store)'))
    .withPanel(grid('Top source IPs: failed logins and 429s', sql(TOP_SOURCE_IPS_SQL), { height: 10 }))
    .withPanel(grid('Most targeted accounts', sql(TOP_TARGETED_ACCOUNTS_SQL), { height: 10 }))
    .withPanel(
      grid('Admin and account changes', sql(ADMIN_ACTIVITY_SQL), {
        span: 24,
        description: 'Seed 001-18: role changes, user creation and deactivation, unlocks, revocations.',
      }),
    )
    .withPanel(grid('Recent security alerts', sql(RECENT_ALERTS_SQL), { span: 24 }));
}
