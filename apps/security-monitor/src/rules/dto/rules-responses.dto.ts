import { ApiProperty } from '@nestjs/swagger';
import { SEVERITIES } from '@vigil/contracts';

// OpenAPI shapes of the rules API's answers (rules.controller.ts builds them).

class RuleSummaryDoc {
  @ApiProperty({ example: 'failed-logins-per-user-1m-warning' })
  id!: string;

  @ApiProperty({ description: "the rule's own version (alerts carry it)", example: 1 })
  version!: number;

  @ApiProperty({ enum: SEVERITIES })
  severity!: string;

  @ApiProperty({ description: 'false: the rule is in the file but evaluates nothing' })
  enabled!: boolean;

  @ApiProperty({ example: 'More than 5 failed logins for one user in a minute (seed 001)' })
  description!: string;
}

export class RulesInForceDoc {
  @ApiProperty({ description: 'the rules file read (RULES_FILE)', example: '/etc/vigil/rules.json' })
  file!: string;

  @ApiProperty({ description: "the file's version", example: 3 })
  version!: number;

  @ApiProperty({ type: [RuleSummaryDoc] })
  rules!: RuleSummaryDoc[];
}

export class RulesReloadedDoc {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiProperty({ description: "the new file's version", example: 4 })
  version!: number;

  @ApiProperty({ type: [String], description: 'the ids of the rules now in force' })
  rules!: string[];
}
