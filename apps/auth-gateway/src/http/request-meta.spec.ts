import { canonicalPath } from './request-meta';

describe('canonicalPath: what a prefix guard compares', () => {
  it.each([
    ['/API/v1/auth/login', '/api/v1/auth/login'],
    ['/Api/V1/Auth/Login/', '/api/v1/auth/login'],
    ['//api//v1///auth/login', '/api/v1/auth/login'],
    ['/%61pi/v1/auth/login', '/api/v1/auth/login'],
    ['/api/v1/health/', '/api/v1/health'],
    ['/', '/'],
    ['/api/%E0%A4%A', '/api/%e0%a4%a'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalPath(input)).toBe(expected);
  });
});
