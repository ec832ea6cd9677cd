export * from './keys';
export * from './redis-state';
export * from './dead-letters';
