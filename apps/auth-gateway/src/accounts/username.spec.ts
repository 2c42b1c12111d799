import { BadRequestException } from '@nestjs/common';
import { canonicalUsername } from './username';

describe('canonicalUsername (hostile corpus, issue 18 item 3)', () => {
  it('stores the NFKC, trimmed, lower-cased form', () => {
    expect(canonicalUsername('Alice')).toBe('alice');
    expect(canonicalUsername('ＡＬＩＣＥ')).toBe('alice');
    expect(canonicalUsername('𝐀𝐥𝐢𝐜𝐞')).toBe('alice');
    expect(canonicalUsername('x'.repeat(320))).toBe('x'.repeat(320));
  });

  it.each([
    [
      'a name NFKC lengthens past 320 characters (40 × U+FDFA: 720; the users CHECK answered 500)',
      '\ufdfa'.repeat(40),
    ],
    ['a name NFKC gives a space (U+00A8; it was stored with the space the DTO forbids)', 'x\u00a8y'],
    ['a name that is empty once trimmed', '\u3000'],
  ])('refuses %s with 400', (_name, input) => {
    expect(() => canonicalUsername(input)).toThrow(BadRequestException);
  });
});
