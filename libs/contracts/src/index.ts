export * from './schema';
export * from './job-spec';
export * from './job';
export * from './node';
export * from './topology';
export * from './messages';
export * from './dead-letter';
export * from './access';
