import { copyText } from './copy-format';
import { newSalt } from './audit-row';

describe('COPY text encoding', () => {
  it('escapes the characters COPY treats specially, and writes NULL as \\N', () => {
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText(null)).toBe('\\N');
    expect(copyText('\\N')).toBe('\\\\N'); // the literal string "\N" is not NULL
    expect(copyText('plain')).toBe('plain');
  });
});

describe('PII salts', () => {
  it('are 16 random bytes, different every time, and do not alias the pool', () => {
    const salts = Array.from({ length: 5000 }, () => newSalt());
    expect(new Set(salts.map((s) => s.toString('hex'))).size).toBe(5000);
    expect(salts.every((s) => s.length === 16 && s.buffer.byteLength <= 8192)).toBe(true); // copies, not views of the 64 KiB pool
  });
});
