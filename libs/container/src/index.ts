export * from './container-config';
export * from './policy';
export * from './docker-stream';
