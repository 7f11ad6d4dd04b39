export * from './business.js';
export * from './messy.js';
