export { httpReceiverFactory } from './factory.js';
