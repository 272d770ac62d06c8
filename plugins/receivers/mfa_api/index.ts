export { mfaApiReceiverFactory } from './factory.js';
