export * from './soc-common';
export * from './ocsf';
export * from './ecs';
export * from './format';
export * from './webhook-signature';
