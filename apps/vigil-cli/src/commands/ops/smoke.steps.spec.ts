import { UnavailableError } from '../../errors';
import { runSteps, smokeExitCode } from './smoke.command';

describe('vigil smoke step runner', () => {
  it('times every step, stops at the first failure and says why', async () => {
    let t = 0;
    const clock = () => (t += 5);
    const ran: string[] = [];
    const steps = await runSteps(
      [
        ['health', async () => (ran.push('health'), 'ok')],
        [
          'login',
          async () => {
            ran.push('login');
            throw new Error('POST /api/v1/auth/login: expected 200, got 401');
          },
        ],
        ['me', async () => (ran.push('me'), 'never')],
      ],
      undefined,
      clock,
    );
    expect(ran).toEqual(['health', 'login']);
    expect(steps).toEqual([
      { step: 'health', ok: true, ms: 5, detail: 'ok' },
      {
        step: 'login',
        ok: false,
        ms: 5,
        detail: 'POST /api/v1/auth/login: expected 200, got 401',
        unavailable: false,
      },
    ]);
    expect(smokeExitCode(steps, 3)).toBe(1);
  });

  it('exit 3 when the gateway was unavailable, 0 when every step passed', async () => {
    const down = await runSteps([
      [
        'health',
        async () => {
          throw new UnavailableError('GET /api/v1/health: unreachable (ECONNREFUSED)');
        },
      ],
    ]);
    expect(smokeExitCode(down, 6)).toBe(3);
    const fine = await runSteps([
      ['health', async () => 'ok'],
      ['login', async () => 'ok'],
    ]);
    expect(smokeExitCode(fine, 2)).toBe(0);
    expect(smokeExitCode(fine, 3)).toBe(1);
  });
});
