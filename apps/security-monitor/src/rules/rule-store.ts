import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { monitorMetrics } from '../monitor.metrics';
import { type RuleSet } from '../engine/rule-definition';
import { parseRuleSet, RulesFileError } from '../engine/rule-validation';

export type ReloadResult = { ok: true; version: number; rules: string[] } | { ok: false; problems: string[] };

/**
 * The rules in force. A reload that finds any problem in the file is refused as a whole, and
 * the rules already in force stay; at start-up a bad file stops the service.
 */
@Injectable()
export class RuleStore {
  private rules: RuleSet;
  private readonly listeners: Array<(rules: RuleSet) => void> = [];
  readonly file: string;

  constructor(
    @Inject(SERVICE_CONFIG) config: SecurityMonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.file = path.resolve(config.rulesFile);
    this.rules = this.read(); // throws at start: no service runs on rules it cannot read
    logger.info('detection rules loaded', {
      file: this.file,
      version: this.rules.version,
      rules: this.rules.rules.length,
    });
  }

  get current(): RuleSet {
    return this.rules;
  }

  onChange(listener: (rules: RuleSet) => void): void {
    this.listeners.push(listener);
  }

  reload(): ReloadResult {
    let next: RuleSet;
    try {
      next = this.read();
    } catch (err) {
      const problems =
        err instanceof RulesFileError
          ? err.problems
          : [`cannot read ${this.file}: ${(err as Error).message}`];
      monitorMetrics().ruleReloads.add(1, { outcome: 'refused' });
      this.logger.error('rules file refused; the rules in force stay', {
        file: this.file,
        version: this.rules.version,
        problems,
      });
      return { ok: false, problems };
    }
    this.rules = next;
    for (const l of this.listeners) l(next);
    monitorMetrics().ruleReloads.add(1, { outcome: 'applied' });
    this.logger.info('detection rules reloaded', {
      file: this.file,
      version: next.version,
      rules: next.rules.length,
    });
    return { ok: true, version: next.version, rules: next.rules.map((r) => r.id) };
  }

  private read(): RuleSet {
    return parseRuleSet(readFileSync(this.file, 'utf8'));
  }
}
