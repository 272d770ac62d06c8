export { fileReceiverFactory } from './factory.js';
