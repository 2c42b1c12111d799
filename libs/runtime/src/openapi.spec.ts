import { apiDocsEnabled } from './openapi';

describe('apiDocsEnabled', () => {
  it('serves the OpenAPI docs by default, and in production only when API_DOCS_ENABLED=true', () => {
    expect(apiDocsEnabled({ nodeEnv: 'development' })).toBe(true);
    expect(apiDocsEnabled({ nodeEnv: 'test' })).toBe(true);
    expect(apiDocsEnabled({ nodeEnv: 'production' })).toBe(false);
    expect(apiDocsEnabled({ nodeEnv: 'production', apiDocsEnabled: true })).toBe(true);
    expect(apiDocsEnabled({ nodeEnv: 'development', apiDocsEnabled: false })).toBe(false);
  });
});
