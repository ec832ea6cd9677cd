export * from './container-config';
export * from './policy';
