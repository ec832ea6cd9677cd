export * from './amqp-client';
export * from './dead-letters';
