export { entraReceiverFactory } from './factory.js';
