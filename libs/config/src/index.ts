export * from './load';
export * from './env';
