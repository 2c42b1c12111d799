import { ValidationError } from 'class-validator';

/*
 * Turning a rejection into a `detail` string: property paths and rule names only. Values are never
 * copied, and property names from the input are shown only when they look like names.
 */

const MAX_ISSUES = 10;
const SAFE_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

/**
 * Keys that class-transformer drops silently, so validation would never see them: `__proto__`,
 * `constructor`, and any name of an Object.prototype member (`toString`, `hasOwnProperty`...),
 * which it skips as a method of the target. Refused on both paths, so neither can let one through.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

const RENAMED_CONSTRAINTS: Readonly<Record<string, string>> = { whitelistValidation: 'unknown_property' };

function displayName(name: string): string {
  return SAFE_NAME.test(name) ? name : '<unprintable-name>';
}

function join(path: string, name: string): string {
  return path === '' ? displayName(name) : `${path}.${displayName(name)}`;
}

/**
 * First structural problem (prototype-polluting key, excessive nesting) as `path: code`, or null.
 * Runs before validation, and before class-transformer, which would drop those keys or recurse
 * without bound. The path is only spelled out when there is a problem: this runs on every event.
 */
export function rootIssue(value: object, maxDepth: number): string | null {
  const trail: string[] = [];
  const code = scan(value, 1, maxDepth, trail);
  if (code === null) return null;
  return `${trail.length === 0 ? '(root)' : trail.map(displayName).join('.')}: ${code}`;
}

function scan(value: object, depth: number, maxDepth: number, trail: string[]): string | null {
  if (depth > maxDepth) return `maxDepth ${maxDepth}`;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      trail.push(key);
      return 'forbidden_key';
    }
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) {
      trail.push(key);
      const issue = scan(child, depth + 1, maxDepth, trail);
      if (issue !== null) return issue;
      trail.pop();
    }
  }
  return null;
}

/** `actor.roles: isArray; password: unknown_property (+2 more)`. */
export function formatValidationErrors(errors: readonly ValidationError[]): string {
  const issues: string[] = [];
  collect(errors, '', issues);
  const shown = issues.slice(0, MAX_ISSUES).join('; ');
  return issues.length > MAX_ISSUES ? `${shown} (+${issues.length - MAX_ISSUES} more)` : shown;
}

function collect(errors: readonly ValidationError[], path: string, out: string[]): void {
  for (const error of errors) {
    const here = error.property === undefined ? path || '(root)' : join(path, String(error.property));
    if (error.constraints) {
      const codes = Object.keys(error.constraints).map((c) => RENAMED_CONSTRAINTS[c] ?? c);
      out.push(`${here}: ${codes.join(',')}`);
    }
    if (error.children && error.children.length > 0) collect(error.children, here, out);
  }
}
