/**
 * What an uploader runs with, kept beside it rather than on it: the opt-in functions (copyObject,
 * the pending-upload functions) take the uploader and find its state here, so that the uploader
 * object holds no reference to their code and apps that never import them do not ship it
 * (docs/architecture.md#opt-in-features).
 */
import type { EngineDeps } from './core/upload.js';
import { expected } from './describe.js';

const states = new WeakMap<object, EngineDeps>();

/** Records the state of an uploader that `createUploader` just built. */
export function registerUploader(uploader: object, state: EngineDeps): void {
  states.set(uploader, state);
}

/** The state of `uploader`; a TypeError unless it came from `createUploader`. */
export function uploaderState(uploader: unknown): EngineDeps {
  const state = typeof uploader === 'object' && uploader !== null ? states.get(uploader) : undefined;
  if (state === undefined) throw new TypeError(expected('uploader', 'an uploader made by createUploader', uploader));
  return state;
}
