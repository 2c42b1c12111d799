import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { action } from '../../command';
import { CliError, ExitCode, UsageError } from '../../errors';
import { exportToFile } from './audit.command';
import { parseRange, positiveInt } from './time-range';

export interface EvidenceFile {
  name: string;
  what: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface EvidenceManifest {
  kind: 'vigil-evidence';
  version: 1;
  createdAt: string;
  range: { from: string; to: string };
  files: EvidenceFile[];
  legalHold: { holdId: string; reason: string } | null;
  howToCheck: string;
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The manifest of an evidence folder: every file with its SHA-256, so a copy can be checked (sha256sum -c). */
export function buildManifest(
  range: { from: string; to: string },
  files: EvidenceFile[],
  hold: EvidenceManifest['legalHold'],
  now = new Date(),
): EvidenceManifest {
  return {
    kind: 'vigil-evidence',
    version: 1,
    createdAt: now.toISOString(),
    range,
    files,
    legalHold: hold,
    howToCheck:
      'sha256sum -c SHA256SUMS in this folder; then, against the store or a restored snapshot of it: AUDIT_KEY_DIR=keys vigil audit verify --witness checkpoints.jsonl',
  };
}

/** `sha256sum` format, so the folder checks itself with standard tools. */
export function sha256sums(files: Array<{ name: string; sha256: string }>): string {
  return files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
}

export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description('Preserve incident evidence (seed 000-40)');

  evidence
    .command('export')
    .description(
      "Seed 000-40: write a time range's evidence to a folder: the audit rows (audit-logs.jsonl), the security alerts among them (alerts.jsonl), the signed checkpoints that prove them (checkpoints.jsonl, witness lines) with the public keys that verify them (keys/), and manifest.json + SHA256SUMS with every file's SHA-256; optionally a legal hold on the range so retention keeps it",
    )
    .requiredOption('--since <when>', 'from this time: an age (2h, 24h), a date or an ISO time (required)')
    .option('--until <when>', 'up to this time (exclusive) [now]')
    .requiredOption('--out <dir>', 'a new or empty folder (required)')
    .option('--hold', 'also place a legal hold on the range (needs --reason)')
    .option('--reason <text>', "the hold's reason (a case or ticket reference)")
    .option('--max <n>', 'at most this many audit rows', positiveInt('--max', 100_000_000), 1_000_000)
    .addHelpText(
      'after',
      `
Examples:
  vigil evidence export --since 6h --out /secure/case-4711 --hold --reason "INC-4711"
  cd /secure/case-4711 && sha256sum -c SHA256SUMS
  AUDIT_KEY_DIR=/secure/case-4711/keys vigil audit verify --witness /secure/case-4711/checkpoints.jsonl
Add a database snapshot (pg_dump, or the retention worker's npm run backup) for seed 002-35.`,
    )
    .action(
      action<
        [],
        { since: string; until?: string; out: string; hold?: boolean; reason?: string; max: number }
      >(async (ctx, o) => {
        const range = parseRange(o.since, o.until, { required: true }) as { from: string; to: string };
        if (o.hold && !o.reason) throw new UsageError('--hold needs --reason (recorded with the legal hold)');
        const dir = resolve(o.out);
        if (existsSync(dir) && readdirSync(dir).length > 0)
          throw new UsageError(`--out ${o.out}: not empty (evidence goes to a new or empty folder)`);
        try {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
        } catch (err) {
          throw new CliError(`--out ${o.out}: ${(err as Error).message}`, ExitCode.failed);
        }
        // The hold first: nothing in the range can age out while it is being copied.
        let hold: EvidenceManifest['legalHold'] = null;
        if (o.hold) {
          const h = await ctx.api('retention-worker').post<{ holdId: string }>('api/v1/retention/holds', {
            reason: o.reason,
            from: range.from,
            to: range.to,
          });
          hold = { holdId: h.holdId, reason: o.reason! };
          ctx.io.stderr(`legal hold ${h.holdId} placed on ${range.from} .. ${range.to}`);
        }
        const files: EvidenceFile[] = [];
        const rows = await exportToFile(
          ctx,
          { ...range },
          'jsonl',
          o.max,
          join(dir, 'audit-logs.jsonl'),
          'audit rows',
        );
        files.push({
          name: 'audit-logs.jsonl',
          what: 'audit rows of the range, newest first (audit API export)',
          ...rows,
        });
        const alerts = await exportToFile(
          ctx,
          { ...range, action: 'SECURITY_%' },
          'jsonl',
          o.max,
          join(dir, 'alerts.jsonl'),
          'security alerts',
        );
        files.push({
          name: 'alerts.jsonl',
          what: 'security alert transitions of the range (SECURITY_* rows)',
          ...alerts,
        });
        const cps = await ctx.api('audit-writer').get<{
          items: Array<Record<string, unknown>>;
          keys?: Array<{ fingerprint: string; publicKeyPem: string }>;
        }>('api/v1/audit/checkpoints', { query: { from: range.from, to: range.to } });
        // Witness lines (`kind: checkpoint`), so `audit:verify --witness` reads them as they are.
        const cpText = cps.items.map((c) => `${JSON.stringify({ kind: 'checkpoint', ...c })}\n`).join('');
        writeFileSync(join(dir, 'checkpoints.jsonl'), cpText, { mode: 0o600 });
        files.push({
          name: 'checkpoints.jsonl',
          what: 'signed chain checkpoints covering the range (with the last before and the first after it, per chain), as witness lines',
          rows: cps.items.length,
          bytes: Buffer.byteLength(cpText),
          sha256: sha256(cpText),
        });
        for (const k of cps.keys ?? []) {
          if (!/^[A-Za-z0-9_-]{8,128}$/.test(k.fingerprint)) continue;
          const name = `keys/${k.fingerprint}.pub.pem`;
          mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
          writeFileSync(join(dir, name), k.publicKeyPem, { mode: 0o644 });
          files.push({
            name,
            what: 'a public key that verifies the checkpoints (AUDIT_KEY_DIR for audit:verify)',
            rows: 1,
            bytes: Buffer.byteLength(k.publicKeyPem),
            sha256: sha256(k.publicKeyPem),
          });
        }
        const manifest = buildManifest(range, files, hold);
        const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
        writeFileSync(join(dir, 'manifest.json'), manifestText, { mode: 0o600 });
        writeFileSync(
          join(dir, 'SHA256SUMS'),
          sha256sums([...files, { name: 'manifest.json', sha256: sha256(manifestText) }]),
          { mode: 0o600 },
        );
        const result = { dir, manifestSha256: sha256(manifestText), ...manifest };
        ctx.print(result, (d) =>
          [
            `evidence for ${d.range.from} .. ${d.range.to} in ${d.dir}`,
            ...d.files.map((f) => `  ${f.name.padEnd(18)} ${String(f.rows).padStart(8)} rows  ${f.sha256}`),
            `  manifest.json sha256 ${d.manifestSha256}${d.legalHold ? `; legal hold ${d.legalHold.holdId}` : ''}`,
            '  check: sha256sum -c SHA256SUMS',
          ].join('\n'),
        );
      }),
    );
}
