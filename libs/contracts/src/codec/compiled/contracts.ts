import { EVENT_TYPES, EventType } from '../../event-type/event-type';
import { envelopeClassFor } from '../../registry/event-registry';
import { formatValidationErrors } from '../decode-detail';
import { violations } from './check';
import { ClassRef, CompiledClass, compileClass } from './compile';
import { Conforms, generateConforms } from './generate';

export interface CompiledContract {
  readonly plan: CompiledClass;
  readonly conforms: Conforms;
}

/** One compiled validator per event type's envelope class, nested classes shared. Throws ContractCompileError. */
export function compileContracts(): Map<EventType, CompiledContract> {
  const plans = new Map<ClassRef, CompiledClass>();
  const generated = new Map<CompiledClass, Conforms>();
  return new Map(
    EVENT_TYPES.map((type) => {
      const plan = compileClass(envelopeClassFor(type), plans);
      return [type, { plan, conforms: generateConforms(plan, generated) }];
    }),
  );
}

/** Null if `candidate` satisfies the contract, else the `detail` class-validator's errors would give. */
export function compiledDetail(contract: CompiledContract, candidate: object): string | null {
  if (contract.conforms(candidate)) return null;
  // Only rejections pay for the full error tree, built in class-validator's order.
  const errors = violations(contract.plan, candidate);
  return errors.length > 0 ? formatValidationErrors(errors) : '(root): unprocessable';
}
