import { getMetadataStorage } from 'class-validator';
import {
  Actor,
  EVENT_ATTRIBUTES,
  EVENT_TYPES,
  LoginFailedAttributes,
  PASSWORD_FINGERPRINT,
  Source,
  Subject,
  envelopeClassFor,
} from '../index';

/**
 * The one name allowed to say "password": the failed password's keyed fingerprint (issue 19 item 1),
 * which its pattern holds to `<epoch>.<22 base64url>`, so no password can be put in it.
 */
const FINGERPRINT_FIELD = 'LoginFailedAttributes.passwordFingerprint';

/** Every property name any contract class accepts, by class name. */
function acceptedProperties(): Map<string, string[]> {
  // Nested classes (alert key, action target) are registered too; the storage holds them all.
  const storage = getMetadataStorage() as unknown as {
    validationMetadatas: Map<Function, { propertyName: string }[]>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  };
  const out = new Map<string, string[]>();
  for (const [target, metas] of storage.validationMetadatas) {
    out.set(target.name, [...new Set(metas.map((m) => m.propertyName))]);
  }
  return out;
}

describe('event registry', () => {
  it('has a validating envelope class per type', () => {
    for (const type of EVENT_TYPES) expect(envelopeClassFor(type).name).toBe(`${type}Envelope`);
  });

  it('never defines a field for a password, token, secret or credential', () => {
    const classes = acceptedProperties();
    // The scan must actually cover the contract classes (empty attribute classes have no fields).
    for (const cls of [Actor, Subject, Source, EVENT_ATTRIBUTES.SECURITY_ALERT])
      expect(classes.has(cls.name)).toBe(true);
    const offending = [...classes].flatMap(([cls, props]) =>
      props.filter((p) => /passw|secret|token|credential|cookie|authoriz/i.test(p)).map((p) => `${cls}.${p}`),
    );
    expect(offending).toEqual([FINGERPRINT_FIELD]);
  });

  it('seed 000-18: holds the password fingerprint to its pattern, and to nothing longer than one', () => {
    const rules = getMetadataStorage()
      .getTargetValidationMetadatas(LoginFailedAttributes, '', false, false, undefined)
      .filter((m) => m.propertyName === 'passwordFingerprint');
    const patterns = rules.filter((m) => m.name === 'matches').map((m) => m.constraints[0]);
    expect(patterns).toEqual([PASSWORD_FINGERPRINT]);
    expect(rules.some((m) => m.name === 'isString')).toBe(true);
    expect(PASSWORD_FINGERPRINT.test('20457.q4Xz0cR1bWm2Yp8kLr3NvA')).toBe(true);
    expect(PASSWORD_FINGERPRINT.test('20457.correct horse battery')).toBe(false);
  });
});
