/**
 * Availability SLO and its error budget (seed 002-41: 99.9 %, 0.1 % a month; seed 004-67: weekly
 * uptime >= 99.9 %). Only 5xx count against it: an attacker's 401s and 429s must not burn it.
 * Latency objective: requests answered within 0.3 s (the seeds' threshold, a histogram bucket).
 */
import {
  HTTP,
  NOT_PROBES,
  graph,
  grid,
  jobVariable,
  prom,
  requests,
  row,
  serverErrors,
  single,
  vigilDashboard,
} from './common';

export const AVAILABILITY_OBJECTIVE = 0.999;
const BUDGET = 1 - AVAILABILITY_OBJECTIVE;
const SEL = `job=~"$job", ${NOT_PROBES}`;

const errorRatio = (window: string, by = 'job') =>
  `${serverErrors(window, by, SEL)} / ${requests(window, by, SEL)}`;
const availability = (window: string) => `1 - (${errorRatio(window)})`;
const budgetRemaining = (window: string) => `1 - (${errorRatio(window)}) / ${BUDGET}`;
const burnRate = (window: string) => `(${errorRatio(window)}) / ${BUDGET}`;
const fastEnough = (window: string, by = 'job') =>
  `sum by (${by}) (increase(${HTTP}_bucket{${SEL}, le="0.3"}[${window}])) / sum by (${by}) (increase(${HTTP}_count{${SEL}}[${window}]))`;

const availabilityThresholds: [number | null, string][] = [
  [null, 'red'],
  [AVAILABILITY_OBJECTIVE, 'green'],
];

export function slo() {
  return vigilDashboard(
    'vigil-slo',
    'Vigil · SLO and error budget',
    'Availability 99.9 % over 30 days, counted on 5xx only; latency within 0.3 s.',
  )
    .time({ from: 'now-7d', to: 'now' })
    .withVariable(jobVariable())
    .withRow(row('Availability'))
    .withPanel(
      single('Availability, 30 days', prom(availability('30d'), '{{job}}'), {
        unit: 'percentunit',
        span: 8,
        height: 5,
        description: 'Objective 99.9 % (seed 002-41).',
        thresholds: availabilityThresholds,
      }),
    )
    .withPanel(
      single('Availability, 7 days', prom(availability('7d'), '{{job}}'), {
        unit: 'percentunit',
        span: 8,
        height: 5,
        description: "The weekly report's uptime (seed 004-67).",
        thresholds: availabilityThresholds,
      }),
    )
    .withPanel(
      single('Error budget left, 30 days', prom(budgetRemaining('30d'), '{{job}}'), {
        unit: 'percentunit',
        span: 8,
        height: 5,
        description:
          "Share of the month's 0.1 % still unspent. At 0 or below a mitigation plan comes before new releases (seed 002-41).",
        thresholds: [
          [null, 'red'],
          [0.25, 'orange'],
          [0.5, 'green'],
        ],
      }),
    )
    .withPanel(
      graph(
        'Burn rate',
        [
          prom(burnRate('5m'), '{{job}} 5m'),
          prom(burnRate('1h'), '{{job}} 1h'),
          prom(burnRate('6h'), '{{job}} 6h'),
        ],
        {
          min: 0,
          description:
            'How fast the budget burns (1 = exactly on budget for the month). Paging thresholds of the multi-window method: 14.4 over 1 h and 5 m, 6 over 6 h and 30 m.',
          thresholds: [
            [null, 'green'],
            [6, 'orange'],
            [14.4, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      graph('Error budget left, 30-day window', [prom(budgetRemaining('30d'), '{{job}}')], {
        unit: 'percentunit',
        max: 1,
        thresholds: [
          [null, 'red'],
          [0, 'green'],
        ],
      }),
    )
    .withRow(row('Latency objective'))
    .withPanel(
      graph('Requests within 0.3 s', [prom(fastEnough('$__rate_interval'), '{{job}}')], {
        unit: 'percentunit',
        max: 1,
        description: "Share of requests answered within the seeds' 0.3 s threshold.",
        thresholds: [
          [null, 'red'],
          [0.99, 'green'],
        ],
      }),
    )
    .withPanel(
      grid(
        'Slowest routes: share within 0.3 s over the time range',
        prom(`sort(${fastEnough('$__range', 'job, http_route')})`, '', { instant: true }),
      ),
    )
    .withRow(row('What burns it'))
    .withPanel(
      grid(
        '5xx by service and route over the time range',
        prom(
          `sort_desc(sum by (job, http_route, http_response_status_code) (increase(${HTTP}_count{${SEL}, http_response_status_code=~"5.."}[$__range]))) > 0`,
          '',
          { instant: true },
        ),
        { span: 24 },
      ),
    );
}
