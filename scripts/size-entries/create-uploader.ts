// What an app that only calls `createUploader` with its defaults imports: the size budget for the
// common case is measured on this entry (scripts/measure-size.ts), so anything createUploader does
// not reach is left out by tree-shaking as an app's bundler would leave it out.
export { createUploader } from '../../src/index.js';
