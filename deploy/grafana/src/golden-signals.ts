/**
 * Per-service golden signals (seed 000-14..17, 001-15, 001-22, 001-23, 002-26): traffic, errors,
 * latency per route and saturation, for the services picked in the `job` variable.
 */
import { HTTP, NOT_PROBES, graph, grid, jobVariable, prom, row, single, vigilDashboard } from './common';

const SEL = `job=~"$job", ${NOT_PROBES}`;
const rate = (extra = '') => `rate(${HTTP}_count{${SEL}${extra}}[$__rate_interval])`;
const quantile = (q: number, by = 'job, http_route') =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${HTTP}_bucket{${SEL}}[$__rate_interval])))`;

export function goldenSignals() {
  return vigilDashboard(
    'vigil-golden-signals',
    'Vigil · Service golden signals',
    'Traffic, errors, latency and saturation per service and route. Probes (/health, /metrics) are left out.',
  )
    .withVariable(jobVariable())
    .withRow(row('Overview'))
    .withPanel(single('Requests/s', prom(`sum(${rate()})`), { unit: 'reqps', span: 6 }))
    .withPanel(
      single('5xx ratio', prom(`sum(${rate(', http_response_status_code=~"5.."')}) / sum(${rate()})`), {
        unit: 'percentunit',
        span: 6,
        description: 'Server errors over all requests. The SLO allows 0.1 % (seed 002-41).',
        thresholds: [
          [null, 'green'],
          [0.001, 'orange'],
          [0.01, 'red'],
        ],
      }),
    )
    .withPanel(
      single('p99 latency', prom(quantile(0.99, 'job'), '{{job}}'), {
        unit: 's',
        span: 6,
        description: 'Per service, all routes together. Seed thresholds: 0.3 s (SLO), 0.5 s, 1 s.',
        thresholds: [
          [null, 'green'],
          [0.3, 'orange'],
          [1, 'red'],
        ],
      }),
    )
    .withPanel(
      single('Consumer lag (messages)', prom('sum(kafka_consumer_lag{job=~"$job"})'), {
        span: 6,
        description: 'Messages behind the end of each partition, all consumer groups of the chosen services.',
        thresholds: [
          [null, 'green'],
          [1000, 'orange'],
          [10000, 'red'],
        ],
      }),
    )
    .withPanel(
      graph(
        'Up and ready',
        [
          prom('min by (job) (up{job=~"$job"})', '{{job}} scraped (up)'),
          prom(
            `sum by (job) (rate(${HTTP}_count{job=~"$job", http_route="/health", http_response_status_code="503"}[$__rate_interval]))`,
            '{{job}} /health answering 503/s',
          ),
        ],
        {
          span: 24,
          min: 0,
          description:
            'up is Prometheus reaching /metrics (0 = down or unreachable). /health answers 503 while a dependency (PostgreSQL, Kafka, migrations) is missing: the service is alive but not ready, and says which check fails.',
        },
      ),
    )
    .withRow(row('Traffic'))
    .withPanel(
      graph(
        'Requests/s by route and status',
        [
          prom(
            `sum by (job, http_route, http_response_status_code) (${rate()})`,
            '{{job}} {{http_route}} {{http_response_status_code}}',
          ),
        ],
        { unit: 'reqps', description: 'Seed 000-15, 001-23: request rate by endpoint and status.' },
      ),
    )
    .withPanel(
      graph(
        'Requests/s by status class',
        [
          prom(`sum by (job) (${rate(', http_response_status_code=~"[123].."')})`, '{{job}} ok'),
          prom(`sum by (job) (${rate(', http_response_status_code=~"4.."')})`, '{{job}} 4xx'),
          prom(`sum by (job) (${rate(', http_response_status_code=~"5.."')})`, '{{job}} 5xx'),
        ],
        { unit: 'reqps' },
      ),
    )
    .withRow(row('Errors'))
    .withPanel(
      graph(
        '5xx ratio by service',
        [
          prom(
            `sum by (job) (${rate(', http_response_status_code=~"5.."')}) / sum by (job) (${rate()})`,
            '{{job}}',
          ),
        ],
        {
          unit: 'percentunit',
          min: 0,
          description: "Seed 000-16. 1 % is seed 003's threshold, 0.1 % the availability SLO.",
          thresholds: [
            [null, 'green'],
            [0.001, 'orange'],
            [0.01, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      graph(
        '4xx/s by route and status',
        [
          prom(
            `sum by (job, http_route, http_response_status_code) (${rate(', http_response_status_code=~"4.."')})`,
            '{{job}} {{http_route}} {{http_response_status_code}}',
          ),
        ],
        {
          unit: 'reqps',
          description: '401 and 429 here are mostly callers and attackers; they do not burn the SLO.',
        },
      ),
    )
    .withPanel(
      grid(
        'Errors by route (5xx over the time range)',
        prom(
          `sort_desc(sum by (job, http_route, http_response_status_code) (increase(${HTTP}_count{${SEL}, http_response_status_code=~"5.."}[$__range]))) > 0`,
          '',
          { instant: true },
        ),
        { span: 24, description: 'Seed 002-26: the scope of a high error rate, by service and endpoint.' },
      ),
    )
    .withRow(row('Latency'))
    .withPanel(graph('p50 by route', [prom(quantile(0.5), '{{job}} {{http_route}}')], { unit: 's', span: 8 }))
    .withPanel(
      graph('p95 by route', [prom(quantile(0.95), '{{job}} {{http_route}}')], {
        unit: 's',
        span: 8,
        thresholds: [
          [null, 'green'],
          [0.3, 'red'],
        ],
      }),
    )
    .withPanel(
      graph('p99 by route', [prom(quantile(0.99), '{{job}} {{http_route}}')], {
        unit: 's',
        span: 8,
        thresholds: [
          [null, 'green'],
          [1, 'red'],
        ],
      }),
    )
    .withRow(row('Saturation'))
    .withPanel(
      graph(
        'DB pool in use',
        [
          prom(
            'sum by (job) (db_client_connections_usage{job=~"$job", state="used"}) / sum by (job) (db_client_connections_max{job=~"$job"})',
            '{{job}} used / max',
          ),
        ],
        {
          unit: 'percentunit',
          span: 8,
          min: 0,
          max: 1,
          description: 'Seed 000-17, 001-22.',
          thresholds: [
            [null, 'green'],
            [0.8, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      graph(
        'DB pool: requests waiting for a connection',
        [prom('sum by (job) (db_client_connections_usage{job=~"$job", state="waiting"})', '{{job}}')],
        { span: 8, min: 0 },
      ),
    )
    .withPanel(
      graph(
        'Event-loop delay',
        [
          prom('max by (job) (nodejs_eventloop_delay_seconds{job=~"$job", quantile="0.99"})', '{{job}} p99'),
          prom('max by (job) (nodejs_eventloop_delay_seconds{job=~"$job", quantile="max"})', '{{job}} max'),
        ],
        {
          unit: 's',
          span: 8,
          description: 'Between two scrapes. A blocked loop delays every request and heartbeat.',
          thresholds: [
            [null, 'green'],
            [0.1, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      graph(
        'Kafka consumer lag by group and topic',
        [prom('sum by (job, group, topic) (kafka_consumer_lag{job=~"$job"})', '{{job}} {{group}} {{topic}}')],
        { span: 12, min: 0 },
      ),
    )
    .withPanel(
      graph(
        'Partitions held for a dependency',
        [
          prom('sum by (job, group) (consumer_paused_partitions{job=~"$job"})', '{{job}} {{group}} held'),
          prom(
            'sum by (job, group) (rate(consumer_retry_total{job=~"$job"}[$__rate_interval]))',
            '{{job}} {{group}} retries/s',
          ),
        ],
        {
          span: 12,
          min: 0,
          description:
            'A consumer whose database or broker is away holds the partition and retries (nothing is committed past it, nothing goes to a DLQ); /health says degraded and names it.',
        },
      ),
    )
    .withPanel(
      graph(
        'CPU',
        [prom('sum by (job) (rate(process_cpu_seconds_total{job=~"$job"}[$__rate_interval]))', '{{job}}')],
        { unit: 'percentunit', span: 12, min: 0, description: '1.0 = one core.' },
      ),
    )
    .withPanel(
      graph(
        'Memory',
        [
          prom('sum by (job) (process_memory_bytes{job=~"$job", type="rss"})', '{{job}} rss'),
          prom('sum by (job) (process_memory_bytes{job=~"$job", type="heap_used"})', '{{job}} heap used'),
        ],
        { unit: 'bytes', span: 12, min: 0 },
      ),
    );
}
