/** The OAuth 2.0 token response of login, the token endpoint and refresh (`Cache-Control: no-store`). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  scope: string;
}
