export * from './keys';
export * from './redis-state';
