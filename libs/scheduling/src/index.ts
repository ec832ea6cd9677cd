export * from './types';
export * from './filters';
export * from './strategies';
export * from './place';
export * from './request';
export * from './snapshot';
export * from './verdicts';
export * from './group';
