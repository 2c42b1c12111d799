import { ValidationError } from 'class-validator';

/*
 * Turning a rejection into a `detail` string: property paths and rule names only. Values are never
 * copied, and property names from the input are shown only when they look like names.
 */

const MAX_ISSUES = 10;
const SAFE_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

/** Keys that class-transformer drops silently, so validation would never see them. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const RENAMED_CONSTRAINTS: Readonly<Record<string, string>> = { whitelistValidation: 'unknown_property' };

function displayName(name: string): string {
  return SAFE_NAME.test(name) ? name : '<unprintable-name>';
}

function join(path: string, name: string): string {
  return path === '' ? displayName(name) : `${path}.${displayName(name)}`;
}

/**
 * First structural problem (prototype-polluting key, excessive nesting) as `path: code`, or null.
 * Runs before class-transformer, which would drop those keys or recurse without bound.
 */
export function rootIssue(value: object, maxDepth: number): string | null {
  return scan(value, '', 1, maxDepth);
}

function scan(value: object, path: string, depth: number, maxDepth: number): string | null {
  if (depth > maxDepth) return `${path || '(root)'}: maxDepth ${maxDepth}`;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `${join(path, key)}: forbidden_key`;
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) {
      const issue = scan(child, join(path, key), depth + 1, maxDepth);
      if (issue !== null) return issue;
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
