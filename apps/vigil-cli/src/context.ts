import { ApiClient } from './api-client';
import { adminCredentials, serviceUrl, type CliConfig, type ServiceName } from './config';
import { CliError, ExitCode, UsageError } from './errors';
import { progressBar, type CliIo, type Progress } from './output';

/** The options every command has (set on the root program, read with optsWithGlobals). */
export interface GlobalOptions {
  json?: boolean;
  baseUrl?: string;
}

/**
 * What a command works with: the resolved configuration, an API client per service (logged in as
 * the admin on first use, once per run), and output that honours --json.
 */
export class CliContext {
  private tokenPromise?: Promise<string>;

  constructor(
    readonly config: CliConfig,
    readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** A client for a service's API that authenticates as the admin (token or login). */
  api(service: ServiceName): ApiClient {
    return this.anonymous(service).withToken(() => this.adminToken());
  }

  /** A client that sends no credentials (health, smoke checks of public routes). */
  anonymous(service: ServiceName): ApiClient {
    return new ApiClient(serviceUrl(this.config, service), this.config.timeoutMs);
  }

  /** VIGIL_ADMIN_TOKEN, or an access token from logging in with the admin credentials (once). */
  adminToken(): Promise<string> {
    if (this.config.token) return Promise.resolve(this.config.token);
    this.tokenPromise ??= (async () => {
      const creds = adminCredentials(this.config);
      if (!creds)
        throw new UsageError(
          'no admin credentials: set VIGIL_ADMIN_TOKEN, or VIGIL_ADMIN_USERNAME and VIGIL_ADMIN_PASSWORD (or VIGIL_ADMIN_PASSWORD_FILE), or VIGIL_ADMIN_CREDENTIALS_FILE',
        );
      const session = await this.anonymous('auth-gateway').post<{ access_token?: string }>(
        'api/v1/auth/login',
        creds,
        { anonymous: true },
      );
      if (!session.access_token)
        throw new CliError('login answered without an access_token', ExitCode.failed);
      return session.access_token;
    })();
    return this.tokenPromise;
  }

  /** Prints a result: the data as JSON with --json, else the human form (or the data as JSON). */
  print<T>(data: T, human?: (data: T) => string): void {
    if (this.json || !human) this.io.stdout(JSON.stringify(data, null, this.json ? undefined : 2));
    else this.io.stdout(human(data));
  }

  /** A line for people (not with --json, where stdout is the result only). */
  note(text: string): void {
    if (!this.json) this.io.stdout(text);
  }

  progress(title: string, total?: number): Progress {
    return progressBar(this.io, title, total);
  }
}
