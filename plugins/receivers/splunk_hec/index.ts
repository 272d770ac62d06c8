export { splunkHecReceiverFactory } from './factory.js';
