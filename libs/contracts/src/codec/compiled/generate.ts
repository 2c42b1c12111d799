import { CompiledClass, CompiledRule } from './compile';
import { checkNested, passes } from './check';

/*
 * The hot path: a plan turned into straight-line JavaScript, one function per class, so each
 * constraint call site sees a single validator and V8 can inline it. It only answers yes/no and
 * stops at the first failure; rejections are re-checked by `violations` (check.ts) for the detail,
 * and the equivalence spec holds both to class-validator's verdicts. The generated source holds
 * nothing but property names from the contract classes (as JSON literals) and indexes into `refs`.
 */

export type Conforms = (object: object) => boolean;

export function generateConforms(plan: CompiledClass, done = new Map<CompiledClass, Conforms>()): Conforms {
  const existing = done.get(plan);
  if (existing !== undefined) return existing;
  // Registered before nested classes are generated, so a class that nests itself terminates.
  const late: { conforms?: Conforms } = {};
  done.set(plan, (object) => late.conforms!(object));
  const refs: unknown[] = [];
  const ref = (value: unknown): string => `refs[${refs.push(value) - 1}]`;
  const lines = [
    'const keys = Object.keys(o);',
    `const allowed = ${ref(plan.allowed)};`,
    'for (let i = 0; i < keys.length; i++) if (allowed[keys[i]] !== true) return false;',
    'let v;',
  ];
  let conditionCount = 0;
  for (const property of plan.properties) {
    lines.push(`v = o[${JSON.stringify(property.name)}];`);
    const body: string[] = [];
    for (const rule of property.rules) body.push(ruleCode(rule, ref));
    if (property.nested !== null) {
      const nested = ref(generateConforms(property.nested, done));
      const nestedPlan = ref(property.nested);
      body.push(
        'if (v !== undefined) {',
        `  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Set) && !(v instanceof Map)) { if (!${nested}(v)) return false; }`,
        `  else if (!${ref(checkNested)}(${nestedPlan}, v, null)) return false;`,
        '}',
      );
    }
    if (property.conditions.length === 0) {
      lines.push(...body);
    } else {
      // Every condition runs, as class-validator's map/reduce does.
      const names = property.conditions.map((condition) => {
        const name = `k${conditionCount++}`;
        lines.push(`const ${name} = ${ref(condition)}(o, v);`);
        return name;
      });
      lines.push(`if (${names.join(' && ')}) {`, ...body.map((l) => `  ${l}`), '}');
    }
  }
  lines.push('return true;');
  const factory = new Function(
    'refs',
    `return function conforms_${safe(plan.name)}(o) {\n${lines.join('\n')}\n};`,
  );
  const compiled = factory(refs) as Conforms;
  late.conforms = compiled;
  done.set(plan, compiled);
  return compiled;
}

function ruleCode(rule: CompiledRule, ref: (value: unknown) => string): string {
  if (rule.each) return `if (!${ref(passes)}(${ref(rule)}, o, v, true)) return false;`;
  const constraint = ref(rule.constraint);
  const args = ref(rule.args);
  return `{ const a = ${args}; a.object = o; a.value = v; if (!${constraint}.validate(v, a)) return false; }`;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_$]/g, '_');
}
