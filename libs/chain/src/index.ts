export * from './canonical';
export * from './chainer';
export * from './checkpoint';
export * from './verifier';
