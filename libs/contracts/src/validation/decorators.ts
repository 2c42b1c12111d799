import 'reflect-metadata'; // class-transformer's @Type reads design:type metadata through it
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SECRET_LIKE_NAME, UUID_V7, isUtcTimestamp } from './patterns';

type ClassRef = new () => object;

/** Applies several property decorators as one. */
export function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/**
 * Optional means absent, not null: `IsOptional` would also let `null` through, giving consumers
 * two spellings of "not set" and a value their types don't admit.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

export interface StringRule {
  min?: number;
  pattern?: RegExp;
}

/** A string with a length bound and, usually, a shape. */
export function Str(max: number, { min = 1, pattern }: StringRule = {}): PropertyDecorator {
  const rules = [IsString(), Length(min, max)];
  if (pattern) rules.push(Matches(pattern));
  return compose(...rules);
}

/** An array of bounded strings. */
export function StrArray(
  maxItems: number,
  maxLength: number,
  pattern?: RegExp,
  minItems = 0,
): PropertyDecorator {
  const rules = [IsArray(), ArrayMinSize(minItems), ArrayMaxSize(maxItems), IsString({ each: true })];
  rules.push(Length(1, maxLength, { each: true }));
  if (pattern) rules.push(Matches(pattern, { each: true }));
  return compose(...rules);
}

export function Int(min: number, max: number = Number.MAX_SAFE_INTEGER): PropertyDecorator {
  return compose(IsInt(), Min(min), Max(max));
}

export function Bool(): PropertyDecorator {
  return IsBoolean();
}

export function OneOf(values: readonly (string | number)[]): PropertyDecorator {
  return IsIn(values as (string | number)[]);
}

/** A nested object (not an array, not null) validated as `cls`, unknown properties included. */
export function NestedObject(cls: () => ClassRef): PropertyDecorator {
  return compose(IsObject(), ValidateNested(), Type(cls));
}

export function UuidV7(each = false): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUuidV7',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && UUID_V7.test(value),
        defaultMessage: () => '$property must be a lower-case UUIDv7',
      },
    },
    { each },
  );
}

export function UtcTimestamp(): PropertyDecorator {
  return ValidateBy({
    name: 'isUtcTimestamp',
    validator: {
      validate: (value: unknown) => isUtcTimestamp(value),
      defaultMessage: () => '$property must be an ISO-8601 UTC timestamp ending in Z',
    },
  });
}

export interface StringMapRule {
  maxEntries: number;
  keyPattern: RegExp;
  maxKeyLength: number;
  maxValueLength: number;
}

/**
 * A small free-form string map (e.g. the filters of an audit query). Keys that name secrets are
 * rejected here because whitelisting cannot reach inside a map.
 */
export function BoundedStringMap(rule: StringMapRule): PropertyDecorator {
  return ValidateBy({
    name: 'isBoundedStringMap',
    validator: {
      validate: (value: unknown) => isBoundedStringMap(value, rule),
      defaultMessage: () =>
        `$property must be an object of at most ${rule.maxEntries} bounded string values with non-secret keys`,
    },
  });
}

function isBoundedStringMap(value: unknown, rule: StringMapRule): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  if (entries.length > rule.maxEntries) return false;
  return entries.every(
    ([key, v]) =>
      key.length <= rule.maxKeyLength &&
      rule.keyPattern.test(key) &&
      !SECRET_LIKE_NAME.test(key) &&
      typeof v === 'string' &&
      v.length <= rule.maxValueLength,
  );
}

/** A property whose validity depends on a sibling (e.g. `sev` must be the mapping of `severity`). */
export function ConsistentWith<O>(
  name: string,
  check: (object: O, value: unknown) => boolean,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args) => check(args?.object as O, value),
      defaultMessage: () => `$property is inconsistent with its sibling fields (${name})`,
    },
  });
}
