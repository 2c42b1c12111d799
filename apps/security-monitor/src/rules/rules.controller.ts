import { Controller, Get, HttpCode, Post, UnprocessableEntityException } from '@nestjs/common';
import { Roles } from '@vigil/auth';
import { RuleStore } from './rule-store';

/**
 * The rules in force, and their reload without a restart (SIGHUP does the same). Reload only
 * re-reads the file the operator controls on disk; it cannot inject rules. Admins only.
 */
@Controller('api/v1/monitor/rules')
@Roles('admin')
export class RulesController {
  constructor(private readonly store: RuleStore) {}

  @Get()
  list() {
    const { version, rules } = this.store.current;
    return {
      file: this.store.file,
      version,
      rules: rules.map((r) => ({
        id: r.id,
        version: r.version,
        severity: r.severity,
        enabled: r.enabled,
        description: r.description,
      })),
    };
  }

  @Post('reload')
  @HttpCode(200)
  reload() {
    const result = this.store.reload();
    if (!result.ok) {
      throw new UnprocessableEntityException({
        title: 'Rules file refused',
        detail: `the rules file has ${result.problems.length} problem(s); the rules in force (version ${this.store.current.version}) stay`,
        errors: result.problems,
      });
    }
    return result;
  }
}
