import { Module } from '@nestjs/common';
import { ReportController } from './report.controller';

/** Seed 001-26's retention report over HTTP (the CLI computes the same from the database). */
@Module({ controllers: [ReportController] })
export class ReportModule {}
