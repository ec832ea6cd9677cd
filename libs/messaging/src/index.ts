export * from './amqp-client';
