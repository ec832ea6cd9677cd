export * from './container-config';
