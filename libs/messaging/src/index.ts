export * from './connection';
export * from './declarations';
export * from './publisher';
export * from './handlers';
export * from './consumers';
export * from './request-reply';
export * from './messaging';
export * from './dead-letters';
