export { oktaReceiverFactory } from './factory.js';
