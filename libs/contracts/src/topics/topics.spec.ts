import {
  AUDITED_TOPICS,
  EVENT_TYPES,
  TOPICS,
  TOPIC_EVENT_TYPES,
  Topics,
  dlqTopic,
  isTypeAllowedOnTopic,
  topicOf,
} from '../index';

describe('topics', () => {
  it('names the five versioned topics', () => {
    expect(Topics).toEqual({
      AUTH_EVENTS: 'auth.events.v1',
      OPS_EVENTS: 'ops.events.v1',
      SECURITY_ALERTS: 'security.alerts.v1',
      SECURITY_ACTIONS: 'security.actions.v1',
      AUDIT_CHECKPOINTS: 'audit.checkpoints.v1',
    });
  });

  it('derives DLQ names', () => {
    expect(dlqTopic(Topics.AUTH_EVENTS)).toBe('auth.events.v1.dlq');
  });

  it('audits auth, ops and alert topics', () => {
    expect([...AUDITED_TOPICS].sort()).toEqual(['auth.events.v1', 'ops.events.v1', 'security.alerts.v1']);
  });

  it('gives every event type exactly one home topic', () => {
    const placed = TOPICS.flatMap((t) => TOPIC_EVENT_TYPES[t]);
    expect([...placed].sort()).toEqual([...EVENT_TYPES].sort());
    expect(new Set(placed).size).toBe(placed.length);
  });

  it('answers which types may appear on a topic', () => {
    expect(topicOf('FAILED_AUTH_LOGIN')).toBe('auth.events.v1');
    expect(topicOf('SECURITY_ALERT')).toBe('security.alerts.v1');
    expect(topicOf('RETENTION_RUN')).toBe('ops.events.v1');
    expect(isTypeAllowedOnTopic('auth.events.v1', 'AUTH_LOGIN')).toBe(true);
    expect(isTypeAllowedOnTopic('auth.events.v1', 'SECURITY_ACTION')).toBe(false);
    expect(isTypeAllowedOnTopic('auth.events.v1.dlq', 'AUTH_LOGIN')).toBe(false);
  });

  it("keeps the SECURITY_ prefix for alert audit rows (seed 001: action LIKE 'SECURITY_%')", () => {
    for (const type of TOPIC_EVENT_TYPES[Topics.SECURITY_ALERTS])
      expect(type.startsWith('SECURITY_')).toBe(true);
  });
});
