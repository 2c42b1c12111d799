import { EVENT_TYPES, Topics, createEvent, eventKey, normalizeUsername, topicOf } from '../index';
import { SAMPLE_EVENTS, sampleEvent } from '../testing';

describe('eventKey', () => {
  describe(`on ${Topics.AUTH_EVENTS}`, () => {
    const base = { producer: 'auth-gateway', outcome: 'failure' as const, attributes: {} };

    it('is the subject user id when there is one', () => {
      expect(eventKey(SAMPLE_EVENTS.AUTH_LOGIN)).toBe('u-1001'); // subject has both user id and username
    });

    it('else the normalised attempted username', () => {
      expect(eventKey(SAMPLE_EVENTS.FAILED_AUTH_LOGIN)).toBe('mallory@example.com');
      const fullWidth = createEvent('FAILED_AUTH_LOGIN', { ...base, subject: { username: '  ＡＬＩＣＥ ' } });
      expect(eventKey(fullWidth)).toBe('alice');
    });

    it('else the source IP, else the event id', () => {
      const byIp = createEvent('TOKEN_VALIDATION_FAILED', {
        ...base,
        source: { ip: '198.51.100.4' },
        attributes: { failure: 'expired' },
      });
      expect(eventKey(byIp)).toBe('198.51.100.4');
      const bare = createEvent('SERVER_ERROR', {
        ...base,
        outcome: 'error',
        attributes: { route: '/api/v1/health', method: 'GET', status: 500 },
      });
      expect(eventKey(bare)).toBe(bare.id);
    });

    it('falls through a username that is only whitespace', () => {
      const blank = createEvent('FAILED_AUTH_LOGIN', {
        ...base,
        subject: { username: '   ' },
        source: { ip: '::1' },
      });
      expect(eventKey(blank)).toBe('::1');
    });
  });

  it(`is the producer on ${Topics.OPS_EVENTS}`, () => {
    expect(eventKey(SAMPLE_EVENTS.RETENTION_RUN)).toBe('retention-worker');
    expect(eventKey(SAMPLE_EVENTS.DEPLOYMENT)).toBe('deploy-tool');
    expect(eventKey(SAMPLE_EVENTS.AUDIT_LOG_READ)).toBe('audit-writer');
  });

  it(`is the alert id (dedup key) on ${Topics.SECURITY_ALERTS}`, () => {
    expect(eventKey(SAMPLE_EVENTS.SECURITY_ALERT)).toBe(SAMPLE_EVENTS.SECURITY_ALERT.attributes.alertId);
  });

  it(`is the target on ${Topics.SECURITY_ACTIONS}`, () => {
    expect(eventKey(SAMPLE_EVENTS.SECURITY_ACTION)).toBe('203.0.113.7');
    const lock = sampleEvent('SECURITY_ACTION');
    lock.attributes = { action: 'LOCK_ACCOUNT', target: { kind: 'user', value: 'u-1001' }, dryRun: false };
    expect(eventKey(lock)).toBe('u-1001');
  });

  it(`is the chain id on ${Topics.AUDIT_CHECKPOINTS}`, () => {
    expect(eventKey(SAMPLE_EVENTS.AUDIT_CHECKPOINT)).toBe('auth.events.v1:0');
  });

  it(`keys a retention cut apart from its chain's checkpoints on ${Topics.AUDIT_CHECKPOINTS} (compaction keeps both)`, () => {
    expect(eventKey(SAMPLE_EVENTS.AUDIT_RETENTION_CUT)).toBe('auth.events.v1:0#cut');
  });

  it.each(EVENT_TYPES)('is a non-empty, bounded string for %s', (type) => {
    const key = eventKey(SAMPLE_EVENTS[type]);
    expect(typeof key).toBe('string');
    expect(key.length).toBeGreaterThan(0);
    expect(key.length).toBeLessThanOrEqual(320);
    expect(topicOf(type)).toBeDefined();
  });
});

describe('normalizeUsername', () => {
  it('trims, lower-cases and folds compatibility forms', () => {
    expect(normalizeUsername(' Alice@Example.COM\t')).toBe('alice@example.com');
    expect(normalizeUsername('ａｌｉｃｅ')).toBe('alice');
  });
});
