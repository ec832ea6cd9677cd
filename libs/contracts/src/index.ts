export * from './job';
export * from './node';
export * from './topology';
export * from './messages';
export { MalformedMessage } from './decode';
export * from './dead-letter';
