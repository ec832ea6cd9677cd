export * from './expressions';
export * from './problems';
export * from './swarm';
