import { Controller, Get, HttpCode, Post, UnprocessableEntityException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@vigil/auth';
import { ApiProblems, ApiRoles } from '@vigil/runtime';
import { RulesInForceDoc, RulesReloadedDoc } from './dto/rules-responses.dto';
import { RuleStore } from './rule-store';

/**
 * The rules in force, and their reload without a restart (SIGHUP does the same). Reload only
 * re-reads the file the operator controls on disk; it cannot inject rules. Admins only.
 */
@ApiTags('rules')
@ApiRoles('admin')
@ApiProblems(500)
@Controller('api/v1/monitor/rules')
@Roles('admin')
export class RulesController {
  constructor(private readonly store: RuleStore) {}

  @Get()
  @ApiOperation({
    summary: 'The detection rules in force: the file, its version, each rule with its severity',
  })
  @ApiOkResponse({
    type: RulesInForceDoc,
    example: {
      file: '/etc/vigil/rules.json',
      version: 3,
      rules: [
        {
          id: 'failed-logins-per-user-1m-warning',
          version: 1,
          severity: 'medium',
          enabled: true,
          description: 'More than 5 failed logins for one user in a minute (seed 001)',
        },
      ],
    },
  })
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
  @ApiOperation({
    summary:
      'Re-read the rules file (as SIGHUP does); a file with any problem is refused whole and the rules in force stay',
    description: 'No request body: only the file the operator controls on disk is read.',
  })
  @ApiOkResponse({
    type: RulesReloadedDoc,
    example: {
      ok: true,
      version: 4,
      rules: ['failed-logins-per-user-1m-warning', 'failed-logins-global-1m'],
    },
  })
  @ApiProblems({
    status: 422,
    title: 'Rules file refused',
    description: 'The rules file was refused; the rules in force stay (the problems are listed)',
    detail: 'the rules file has 1 problem(s); the rules in force (version 3) stay',
    errors: ['rules[2].severity: one of critical, high, medium, low, info'],
  })
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
