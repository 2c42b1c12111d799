import { Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RuleStore } from './rule-store';
import { RulesController } from './rules.controller';

/**
 * The rules in force (RuleStore: the versioned rules file, engine/rule-definition.ts validates it),
 * their admin endpoints, and reload on SIGHUP. Detection subscribes to changes (RuleStore.onChange).
 */
@Module({ controllers: [RulesController], providers: [RuleStore], exports: [RuleStore] })
export class RulesModule implements OnModuleInit, OnModuleDestroy {
  private readonly onHangup = () => void this.rules.reload();

  constructor(private readonly rules: RuleStore) {}

  onModuleInit(): void {
    process.on('SIGHUP', this.onHangup);
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onHangup);
  }
}
