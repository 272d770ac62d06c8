export { auth0ReceiverFactory } from './factory.js';
