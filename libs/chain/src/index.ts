export * from './canonical';
export * from './chainer';
export * from './checkpoint';
export * from './retention-cut';
export * from './verifier';
export * from './witness';
