import 'reflect-metadata';
import { Exclude, Expose, Transform, Type, plainToInstance } from 'class-transformer';
import {
  Allow,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Validate,
  ValidateNested,
  ValidatePromise,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  getMetadataStorage,
  validateSync,
} from 'class-validator';
import { EVENT_ATTRIBUTES, EVENT_TYPES } from '../../index';
import { formatValidationErrors } from '../decode-detail';
import { violations } from './check';
import { ClassRef, CompiledClass, ContractCompileError, compileClass } from './compile';
import { compileContracts } from './contracts';
import { generateConforms } from './generate';

/* Every registered class compiles completely; anything the compiler cannot reproduce fails loudly. */

function reachable(plan: CompiledClass, seen = new Set<CompiledClass>()): Set<CompiledClass> {
  if (seen.has(plan)) return seen;
  seen.add(plan);
  for (const property of plan.properties) if (property.nested !== null) reachable(property.nested, seen);
  return seen;
}

/** What class-validator would run for `cls`: one check per constraint, condition or nesting. */
function metadataChecks(cls: ClassRef): number {
  const storage = getMetadataStorage();
  return storage.getTargetValidationMetadatas(cls, '', false, false, undefined).reduce((n, metadata) => {
    if (metadata.type === 'whitelistValidation') return n;
    if (metadata.type === 'customValidation' || metadata.type === 'isDefined') {
      return n + storage.getTargetValidatorConstraints(metadata.constraintCls).length;
    }
    return n + 1;
  }, 0);
}

function compiledChecks(plan: CompiledClass): number {
  return plan.properties.reduce(
    (n, p) => n + p.conditions.length + p.rules.length + (p.nested === null ? 0 : 1),
    0,
  );
}

describe('compiling the contracts', () => {
  const compiled = compileContracts();

  it('compiles every registered event type', () => {
    expect([...compiled.keys()].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('reaches every attributes and nested class, leaving no constraint out', () => {
    const classes = new Set([...compiled.values()].flatMap(({ plan }) => [...reachable(plan)]));
    const names = [...classes].map((plan) => plan.name);
    const expected = [
      ...Object.values(EVENT_ATTRIBUTES).map((cls) => cls.name),
      'Actor',
      'Subject',
      'Source',
      'AlertKey',
      'ActionTarget',
    ];
    for (const name of expected) expect(names).toContain(name);
    for (const plan of classes)
      expect([plan.name, compiledChecks(plan)]).toEqual([plan.name, metadataChecks(plan.target)]);
  });

  it('shares nested plans between event types', () => {
    const actor = (type: 'AUTH_LOGIN' | 'ROLE_CHANGED') =>
      compiled.get(type)!.plan.properties.find((p) => p.name === 'actor')!.nested;
    expect(actor('AUTH_LOGIN')).toBe(actor('ROLE_CHANGED'));
  });
});

@ValidatorConstraint({ name: 'slowCheck', async: true })
class AsyncConstraint implements ValidatorConstraintInterface {
  async validate(): Promise<boolean> {
    return true;
  }
}
class WithAsync {
  @Validate(AsyncConstraint) field!: string;
}
class WithPromise {
  @ValidatePromise() @IsString() field!: string;
}
class Inner {
  @IsString() field!: string;
}
class NestedWithoutType {
  @ValidateNested() inner!: Inner;
}
class TypeWithoutNested {
  @IsString() @Type(() => Inner) inner!: Inner;
}
class NestedString {
  @ValidateNested() @Type(() => String) inner!: string;
}
class WithTransform {
  @IsString() @Transform(({ value }) => String(value).trim()) field!: string;
}
class WithExpose {
  @IsString() @Expose({ name: 'other' }) field!: string;
}
@Exclude()
class ExcludedClass {
  @IsString() field!: string;
}
class WithInitialiser {
  @IsString() field: string = 'default';
}
class WithUndecoratedField {
  @IsString() field!: string;
  other?: string;
}
class WithMethod {
  @IsString() field!: string;
  describe(): string {
    return this.field;
  }
}
class Outer {
  @ValidateNested() @Type(() => WithTransform) inner!: WithTransform;
}
class WithExclude {
  @IsString() @Exclude() field!: string;
}
class WithDiscriminator {
  @ValidateNested()
  @Type(() => Inner, { discriminator: { property: 'kind', subTypes: [{ name: 'inner', value: Inner }] } })
  inner!: Inner;
}
class NestedDate {
  @ValidateNested() @Type(() => Date) inner!: Date;
}
class WithNumberTransform {
  @IsInt() @Transform(({ value }) => (typeof value === 'number' ? Math.round(value) : value)) n!: number;
}

describe('compiling a class it cannot reproduce', () => {
  it.each([
    [WithAsync, /WithAsync.field: async constraint 'slowCheck'/],
    [WithPromise, /WithPromise.field: unsupported validation type 'promiseValidation'/],
    [NestedWithoutType, /NestedWithoutType.inner: ValidateNested without @Type/],
    [TypeWithoutNested, /TypeWithoutNested.inner: @Type without ValidateNested/],
    [NestedString, /NestedString.inner: @Type must name a contract class/],
    [WithTransform, /WithTransform.field: @Transform/],
    [WithExpose, /WithExpose: @Expose\/@Exclude/],
    [ExcludedClass, /ExcludedClass: class-level @Expose\/@Exclude/],
    [WithInitialiser, /WithInitialiser.field: a field initialiser/],
    [WithUndecoratedField, /WithUndecoratedField.other: a field without validation/],
    [WithMethod, /WithMethod: methods or accessors \(describe\)/],
    [Outer, /WithTransform.field: @Transform/],
    [WithExclude, /WithExclude: @Expose\/@Exclude/],
    [WithDiscriminator, /WithDiscriminator.inner: @Type with a discriminator/],
    [NestedDate, /NestedDate.inner: @Type must name a contract class/],
    [WithNumberTransform, /WithNumberTransform.n: @Transform/],
  ] as [ClassRef, RegExp][])('%p fails loudly', (cls, message) => {
    expect(() => compileClass(cls)).toThrow(ContractCompileError);
    expect(() => compileClass(cls)).toThrow(message);
  });

  it('fails the codec at start-up when a registered class does not compile', () => {
    jest.isolateModules(() => {
      // A fresh registry has a fresh class-transformer storage; class-validator's is global.
      jest.doMock('../../registry/event-registry', () => {
        const actual = jest.requireActual('../../registry/event-registry');
        return { ...actual, envelopeClassFor: () => WithAsync };
      });
      expect(() => require('../codec')).toThrow(/cannot compile a validator for WithAsync.field/); // eslint-disable-line @typescript-eslint/no-require-imports
    });
  });
});

class Leaf {
  @IsDefined() @IsInt() n!: number;
  @Allow() note?: unknown;
}
class Tree {
  @IsString() name!: string;
  @IsOptional() @ValidateNested() @Type(() => Tree) children?: Tree[];
  @IsOptional() @ValidateNested() @Type(() => Leaf) leaf?: Leaf;
  @IsOptional() @IsString({ each: true }) tags?: string[];
}

describe('a class beyond the contracts: self-nesting, IsOptional, IsDefined, Allow, each', () => {
  const plan = compileClass(Tree);
  const conforms = generateConforms(plan);
  const options = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false };

  it.each([
    [{ name: 'a' }],
    [
      {
        name: 'a',
        children: [{ name: 'b', children: [{ name: 'c' }] }],
        leaf: { n: 1, note: { any: 1 } },
        tags: ['x'],
      },
    ],
    [{ name: 'a', children: null, leaf: null, tags: null }],
    [{ name: 'a', children: [1, null, { name: 2, extra: 1 }, [{ name: 'd', leaf: {} }]] }],
    [{ name: 'a', children: { name: 'b', children: 'no' } }],
    [{ name: 'a', leaf: { n: '1' }, tags: ['x', 2], extra: true }],
    [{ leaf: [{ n: 1 }, { m: 2 }] }],
  ])('%j: same verdict and detail as class-validator', (input) => {
    const reference = validateSync(plainToInstance(Tree, input), options);
    expect(conforms(input)).toBe(reference.length === 0);
    expect(formatValidationErrors(violations(plan, input))).toBe(formatValidationErrors(reference));
  });
});
