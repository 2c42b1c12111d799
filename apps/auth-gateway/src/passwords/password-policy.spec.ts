import { checkPassword } from './password-policy';

const ctx = { minLength: 12, username: 'alice', email: 'alice.smith@example.com' };

describe('new-password policy', () => {
  it('accepts a long, uncommon passphrase', () => {
    expect(checkPassword('correct-lamp-orbit-42', ctx)).toEqual([]);
    expect(checkPassword('Ünïcödé-Pässwörd!', ctx)).toEqual([]);
  });

  it('refuses short ones, counting code points', () => {
    expect(checkPassword('Tr0ub4dor&3', ctx)).toEqual(['too_short']);
    expect(checkPassword('🔑'.repeat(11), ctx)).toContain('too_short');
  });

  it('refuses common passwords, also dressed up with case, digits and symbols', () => {
    for (const p of [
      'password1234',
      'Password1234',
      'qwertyuiop123',
      'Sunshine2024!!',
      '!!Football12345',
      'correcthorsebatterystaple',
    ]) {
      expect(checkPassword(p, ctx)).toContain('common');
    }
  });

  it('refuses passwords built on the account names, and repetitive ones', () => {
    expect(checkPassword('alice-in-chains-1991', ctx)).toContain('contains_username');
    expect(checkPassword('my-alice.smith-pass', ctx)).toContain('contains_username');
    expect(checkPassword('aaaaaaaaaaaaaa', ctx)).toContain('repetitive');
    expect(checkPassword('abababababab', ctx)).toContain('repetitive');
  });

  it('bounds the length a request can make the hash work on', () => {
    expect(checkPassword('x9-'.repeat(100), ctx)).toContain('too_long');
  });
});
