import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { MetadataStorage, ValidationArguments, ValidationTypes, getMetadataStorage } from 'class-validator';

/*
 * Compiles a contract class into a plan, with neither class-transformer nor class-validator's
 * executor left in the loop: generate.ts turns it into the hot-path function, check.ts walks it
 * for the detail of a rejection. Everything comes from the decorators' own metadata and each rule
 * calls the constraint's own `validate`, so the classes stay the single definition. Anything whose
 * reference semantics the plan would not reproduce throws here, at start-up.
 *
 * class-transformer keeps its metadata (@Type, @Transform, @Expose, @Exclude) in a storage its public
 * API does not export, so what it would do is asked of its public API instead: plainToInstance on
 * probe values. A nested property's class is the class of what it makes of an object; anything
 * else must come back unchanged.
 */

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
type Condition = (object: object, value: unknown) => boolean;
export type ClassRef = abstract new (...args: never[]) => object;

/** One constraint of one property: reported as `code`, checked by the constraint's own validate. */
export interface CompiledRule {
  readonly code: string;
  readonly each: boolean;
  readonly constraint: { validate(value: unknown, args: ValidationArguments): unknown };
  /** Reused per call (object/value overwritten): validation is synchronous and allocates nothing. */
  readonly args: ValidationArguments;
}

export interface CompiledProperty {
  readonly name: string;
  readonly conditions: readonly Condition[];
  /** IsDefined rules first, then the others, in class-validator's order. */
  readonly rules: readonly CompiledRule[];
  /** The @Type class of a ValidateNested property. */
  readonly nested: CompiledClass | null;
}

export interface CompiledClass {
  readonly target: ClassRef;
  readonly name: string;
  /** Properties with any validation metadata: everything else is `whitelistValidation`. */
  readonly allowed: Readonly<Record<string, true>>;
  readonly properties: readonly CompiledProperty[];
}

export class ContractCompileError extends Error {
  constructor(where: string, why: string) {
    super(`cannot compile a validator for ${where}: ${why}`);
    this.name = 'ContractCompileError';
  }
}

const NOT_NESTABLE: readonly unknown[] = [
  Object,
  Array,
  String,
  Number,
  Boolean,
  Date,
  Map,
  Set,
  Buffer,
  Promise,
];

/** Compiles `cls` and every class it nests; `cache` shares nested plans (Actor, Subject...) between envelopes. */
export function compileClass(cls: ClassRef, cache = new Map<ClassRef, CompiledClass>()): CompiledClass {
  const cached = cache.get(cls);
  if (cached !== undefined) return cached;
  const storage = getMetadataStorage();
  // The same query, with the same options, as class-validator's executor for validateSync(instance).
  const grouped = storage.groupByPropertyName(
    storage.getTargetValidationMetadatas(cls, '', false, false, undefined),
  );
  const nestedNames = new Set(
    Object.keys(grouped).filter((name) =>
      grouped[name].some((m) => m.type === ValidationTypes.NESTED_VALIDATION),
    ),
  );
  assertPlainTransform(cls, Object.keys(grouped), nestedNames);
  const allowed: Record<string, true> = Object.create(null);
  const properties: CompiledProperty[] = [];
  const plan: CompiledClass = { target: cls, name: cls.name, allowed, properties };
  cache.set(cls, plan); // before recursing, so a class that nests itself terminates
  for (const name of Object.keys(grouped)) {
    if (grouped[name].length > 0) allowed[name] = true;
    const property = compileProperty(cls, name, grouped[name], cache);
    if (property !== null) properties.push(property);
  }
  return plan;
}

function compileProperty(
  cls: ClassRef,
  name: string,
  metadatas: ValidationMetadata[],
  cache: Map<ClassRef, CompiledClass>,
): CompiledProperty | null {
  const where = `${cls.name}.${name}`;
  const conditions: Condition[] = [];
  const defined: CompiledRule[] = [];
  const custom: CompiledRule[] = [];
  let nestedCount = 0;
  for (const metadata of metadatas) {
    switch (metadata.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION: {
        const condition: unknown = metadata.constraints?.[0];
        if (typeof condition !== 'function')
          throw new ContractCompileError(where, 'a ValidateIf without a function');
        conditions.push(condition as Condition);
        break;
      }
      case ValidationTypes.IS_DEFINED:
        defined.push(...compileRules(cls, name, metadata));
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
        custom.push(...compileRules(cls, name, metadata));
        break;
      case ValidationTypes.NESTED_VALIDATION:
        nestedCount++;
        break;
      case ValidationTypes.WHITELIST:
        break; // @Allow: only whitelists the property
      default:
        throw new ContractCompileError(where, `unsupported validation type '${metadata.type}'`);
    }
  }
  // Several ValidateNested on one property would validate the nested object several times.
  if (nestedCount > 1) throw new ContractCompileError(where, 'more than one ValidateNested');
  const nested = nestedCount === 1 ? compileClass(nestedType(cls, name), cache) : null;
  const rules = [...defined, ...custom];
  if (conditions.length === 0 && rules.length === 0 && nested === null) return null; // @Allow only
  return { name, conditions, rules, nested };
}

function compileRules(cls: ClassRef, name: string, metadata: ValidationMetadata): CompiledRule[] {
  const where = `${cls.name}.${name}`;
  const constraints = getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
  // class-validator would silently skip a constraint class it has no implementation for.
  if (constraints.length === 0)
    throw new ContractCompileError(where, `no implementation for '${metadata.name}'`);
  return constraints.map((constraint) => {
    // validateSync ignores async constraints; a contract must not depend on one.
    if (constraint.async) throw new ContractCompileError(where, `async constraint '${constraint.name}'`);
    const instance = constraint.instance as CompiledRule['constraint'];
    if (typeof instance?.validate !== 'function')
      throw new ContractCompileError(where, `'${constraint.name}' has no validate()`);
    return {
      code: constraint.name || metadata.type,
      each: metadata.each === true,
      constraint: instance,
      args: {
        targetName: cls.name,
        property: name,
        object: {},
        value: undefined,
        constraints: metadata.constraints,
      },
    };
  });
}

/** What class-transformer's public API makes of `plain` as a `cls` (plainToInstance, as the reference decoder does). */
function transformed(cls: ClassRef, plain: Record<string, unknown>, where: string): Record<string, unknown> {
  try {
    return plainToInstance(cls as unknown as ClassConstructor<object>, plain) as Record<string, unknown>;
  } catch (err) {
    throw new ContractCompileError(
      where,
      `class-transformer fails on a probe value (${(err as Error).message})`,
    );
  }
}

/** Values of every JSON kind but objects (arrays included): each must come back as it went in. */
const SCALAR_PROBES: readonly unknown[] = [' probe\t', '', 0, -1.5, true, false, null, ['probe', 1]];
/** A key no contract class declares: kept unless the class as a whole is @Exclude/@Expose. */
const EXTRA_KEY = '__contractCompileProbe';

const sameValue = (a: unknown, b: unknown): boolean =>
  Object.is(a, b) ||
  (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => Object.is(x, b[i])));

/** The class class-transformer would instantiate for a nested property. */
function nestedType(cls: ClassRef, name: string): ClassRef {
  const where = `${cls.name}.${name}`;
  // A discriminator is looked up with `in` on the value: the probe notices.
  let discriminator = false;
  const probe = new Proxy({}, { has: (target, key) => ((discriminator = true), Reflect.has(target, key)) });
  const value = transformed(cls, { [name]: probe }, where)[name];
  if (discriminator) throw new ContractCompileError(where, '@Type with a discriminator');
  if (value === undefined) throw new ContractCompileError(cls.name, '@Expose/@Exclude');
  if (typeof value !== 'object' || value === null)
    throw new ContractCompileError(where, '@Type must name a contract class');
  const nested: unknown = Object.getPrototypeOf(value)?.constructor;
  if (nested === Object) throw new ContractCompileError(where, 'ValidateNested without @Type');
  if (typeof nested !== 'function' || NOT_NESTABLE.includes(nested)) {
    throw new ContractCompileError(where, '@Type must name a contract class');
  }
  // Only an object becomes a `nested`: anything else is validated (and refused) as it is.
  for (const scalar of SCALAR_PROBES) {
    if (!sameValue(transformed(cls, { [name]: scalar }, where)[name], scalar))
      throw new ContractCompileError(where, '@Transform');
  }
  return nested as ClassRef;
}

/**
 * The plan validates the parsed object itself; that is only what class-validator sees after
 * plainToInstance if class-transformer copies every key and value unchanged.
 */
function assertPlainTransform(
  cls: ClassRef,
  validated: readonly string[],
  nested: ReadonlySet<string>,
): void {
  const where = cls.name;
  if (transformed(cls, { [EXTRA_KEY]: 'probe' }, where)[EXTRA_KEY] !== 'probe') {
    throw new ContractCompileError(where, 'class-level @Expose/@Exclude');
  }
  // Every value, and an object, comes back unchanged from a property that is not nested (nestedType
  // checks the nested ones). A value that does not come back at all was not copied.
  const plain = validated.filter((name) => !nested.has(name));
  const [text] = SCALAR_PROBES;
  const copy = transformed(cls, Object.fromEntries(plain.map((name) => [name, text])), where);
  for (const name of plain) {
    if (copy[name] === undefined) throw new ContractCompileError(where, '@Expose/@Exclude');
    if (copy[name] !== text) throw new ContractCompileError(`${where}.${name}`, '@Transform');
  }
  for (const scalar of SCALAR_PROBES.slice(1)) {
    const out = transformed(cls, Object.fromEntries(plain.map((name) => [name, scalar])), where);
    for (const name of plain)
      if (!sameValue(out[name], scalar)) throw new ContractCompileError(`${where}.${name}`, '@Transform');
  }
  const objects = transformed(cls, Object.fromEntries(plain.map((name) => [name, { probe: name }])), where);
  for (const name of plain) {
    const value = objects[name];
    const unchanged =
      typeof value === 'object' &&
      value !== null &&
      Object.getPrototypeOf(value) === Object.prototype &&
      JSON.stringify(value) === JSON.stringify({ probe: name });
    if (!unchanged) {
      throw new ContractCompileError(
        `${where}.${name}`,
        '@Type without ValidateNested (class-transformer would convert the value)',
      );
    }
  }
  // class-transformer skips input keys that name a method or accessor of the class.
  for (
    let proto = cls.prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const members = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor');
    if (members.length > 0)
      throw new ContractCompileError(where, `methods or accessors (${members.join(', ')})`);
  }
  // Field initialisers would give absent properties a value under plainToInstance, and an
  // undecorated field would be flagged as unknown on every instance.
  const blank = new (cls as unknown as new () => object)() as Record<string, unknown>;
  for (const key of Object.keys(blank)) {
    if (blank[key] !== undefined) throw new ContractCompileError(`${where}.${key}`, 'a field initialiser');
    if (!validated.includes(key))
      throw new ContractCompileError(`${where}.${key}`, 'a field without validation');
  }
}
