import { ValidationError } from 'class-validator';
import { CompiledClass, CompiledProperty, CompiledRule } from './compile';

/*
 * Runs a compiled plan over a parsed object, in class-validator's order (unknown keys first, then
 * properties in metadata order; per property IsDefined, the other constraints, then nesting), so
 * `violations` returns the tree validateSync returns after stripping empty errors. Used for
 * rejections only; the yes/no of the hot path is generate.ts, which calls back here for
 * collections of nested objects (`error` null: stop at the first failure).
 */

type Plain = Record<string, unknown>;

const UNKNOWN_PROPERTY = 'whitelistValidation';
const NOT_NESTABLE = 'nestedValidation';

export function violations(plan: CompiledClass, object: object): ValidationError[] {
  const out: ValidationError[] = [];
  checkObject(plan, object as Plain, out);
  return out;
}

/** `out` null: stop at the first failure. */
function checkObject(plan: CompiledClass, object: Plain, out: ValidationError[] | null): boolean {
  let ok = true;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    if (plan.allowed[keys[i]] === true) continue;
    if (out === null) return false;
    ok = false;
    out.push(issue(keys[i], { [UNKNOWN_PROPERTY]: '' }, undefined));
  }
  const properties = plan.properties;
  for (let i = 0; i < properties.length; i++) {
    const property = properties[i];
    const value = object[property.name];
    if (!conditionsHold(property, object, value)) continue;
    if (out === null) {
      if (!rulesPass(property.rules, object, value)) return false;
      if (property.nested !== null && value !== undefined && !checkNested(property.nested, value, null))
        return false;
      continue;
    }
    const error = issue(property.name, {}, []);
    for (const rule of property.rules)
      if (!passes(rule, object, value, false)) error.constraints![rule.code] = '';
    if (property.nested !== null && value !== undefined) checkNested(property.nested, value, error);
    if (keep(error)) {
      out.push(error);
      ok = false;
    }
  }
  return ok;
}

// Every condition runs, as class-validator's map/reduce does.
function conditionsHold(property: CompiledProperty, object: Plain, value: unknown): boolean {
  let all = true;
  for (const condition of property.conditions) if (!condition(object, value)) all = false;
  return all;
}

function rulesPass(rules: readonly CompiledRule[], object: Plain, value: unknown): boolean {
  for (let i = 0; i < rules.length; i++) if (!passes(rules[i], object, value, true)) return false;
  return true;
}

export function passes(rule: CompiledRule, object: Plain, value: unknown, fast: boolean): boolean {
  const args = rule.args;
  args.object = object;
  args.value = value;
  if (!rule.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) {
    return Boolean(rule.constraint.validate(value, args));
  }
  const items: unknown[] =
    value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : [...(value as Set<unknown>)];
  let all = true;
  for (const item of items) {
    if (rule.constraint.validate(item, args)) continue;
    all = false;
    if (fast) break;
  }
  return all;
}

/** A ValidateNested value: an object, or a collection whose elements are checked at their index. */
export function checkNested(plan: CompiledClass, value: unknown, error: ValidationError | null): boolean {
  if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
    const entries: [string, unknown][] =
      value instanceof Map
        ? [...value].map(([k, v]) => [String(k), v])
        : [...value].map((v, i) => [String(i), v]);
    let ok = true;
    for (const [index, item] of entries) {
      if (item === undefined) continue;
      const child = error === null ? null : issue(index, {}, []);
      if (checkNested(plan, item, child)) continue;
      if (child === null) return false;
      ok = false;
      if (keep(child)) error!.children!.push(child);
    }
    return ok;
  }
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    return checkObject(plan, value as Plain, error === null ? null : error.children!);
  }
  if (error !== null) error.constraints![NOT_NESTABLE] = '';
  return false;
}

function issue(
  property: string,
  constraints: Record<string, string>,
  children: ValidationError[] | undefined,
): ValidationError {
  const error = new ValidationError();
  error.property = property;
  error.constraints = constraints;
  error.children = children;
  return error;
}

/** class-validator's stripEmptyErrors, for one node whose children are already stripped. */
function keep(error: ValidationError): boolean {
  const hasConstraints = Object.keys(error.constraints!).length > 0;
  if (!hasConstraints && error.children!.length === 0) return false;
  if (!hasConstraints) delete error.constraints;
  return true;
}
