export { otlpReceiverFactory } from './factory.js';
