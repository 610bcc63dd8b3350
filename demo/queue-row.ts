/**
 * One row of the upload queue: name, size, phase, a `<progress>` bar, the part map, percent, speed, ETA, the
 * pause / resume / cancel / discard buttons, a notice line and an error line. Rendering only; the
 * queue decides what happens.
 */
import type { UploadProgress } from '../src/index.js';
import { button, el } from './dom.js';
import { errorContent, formatBytes, formatDuration, formatSpeed, type ErrorText } from './format.js';
import { createPartMap, type PartMap } from './part-map.js';

/** Where a row's upload stands. `pausing` and `stopping` wait for the running upload to let go. */
export type RowState = 'running' | 'pausing' | 'paused' | 'stopping' | 'failed' | 'done';

/** What the row's buttons do. */
export type RowActions = { pause(): void; resume(): void; cancel(): void; discard(): void };

/** The row's element and how to update it. */
export type QueueRow = {
  readonly element: HTMLLIElement;
  /** The upload's part map (fed by the queue from `onPartUpdate`). */
  readonly parts: PartMap;
  setState(state: RowState): void;
  showProgress(progress: UploadProgress): void;
  /** A one-line remark (resume outcome, a hint); `undefined` hides it. */
  notice(text: string | undefined): void;
  /** Shows a failure in words with code and request id; `undefined` hides it. */
  error(text: ErrorText | undefined): void;
};

const stateWords: Record<RowState, string | undefined> = {
  running: undefined, pausing: 'pausing…', paused: 'paused', stopping: 'stopping…', failed: 'failed', done: 'done',
};

const sep = () => el('span', { class: 'sep', 'aria-hidden': 'true' }, '·');

/** Creates a row for `name` (`size` bytes, uploading to `key`). */
export function createQueueRow(name: string, size: number, key: string, actions: RowActions): QueueRow {
  const phase = el('span', { class: 'phase', 'data-phase': 'hashing' }, 'hashing');
  const bar = el('progress', { max: 100, value: 0, 'aria-label': `Upload progress of ${name}` });
  const percent = el('span', { class: 'percent' }, '0 %');
  const speed = el('span', { class: 'speed', title: 'Speed' }, '–');
  const eta = el('span', { class: 'eta', title: 'Time left' }, '–');
  const sent = el('span', { class: 'sent' }, `0 B of ${formatBytes(size)}`);
  const pause = button('Pause', actions.pause, { 'aria-label': `Pause ${name}` });
  const resume = button('Resume', actions.resume, { 'aria-label': `Resume ${name}` });
  const cancel = button('Cancel', actions.cancel, { 'aria-label': `Cancel ${name} and keep it resumable`, title: 'Stop and keep the uploaded parts: it moves to Resumable uploads' });
  const discard = button('Discard', actions.discard, { class: 'danger', 'aria-label': `Discard ${name}`, title: 'Stop and abort the multipart upload on the server' });
  const parts = createPartMap();
  const notice = el('p', { class: 'notice', hidden: true });
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  const element = el('li', { class: 'row', 'data-state': 'running', 'data-key': key },
    el('div', { class: 'row-head' },
      el('span', { class: 'name', title: key }, name),
      el('span', { class: 'size' }, formatBytes(size)),
      phase),
    bar,
    parts.element,
    el('div', { class: 'row-foot' },
      el('span', { class: 'stats' }, percent, sep(), sent,
        el('span', { class: 'live' }, sep(), speed, sep(), el('span', {}, 'ETA ', eta))),
      el('span', { class: 'actions' }, pause, resume, cancel, discard)),
    notice, error);

  let lastPhase = 'hashing';
  const setPhase = (text: string) => {
    phase.textContent = text;
    phase.dataset['phase'] = text.replace('…', '');
  };
  return {
    element,
    parts,
    setState(state) {
      element.dataset['state'] = state;
      setPhase(stateWords[state] ?? lastPhase);
      pause.disabled = state !== 'running';
      resume.disabled = state !== 'paused' && state !== 'failed';
      cancel.disabled = !['running', 'paused', 'failed'].includes(state);
      discard.disabled = cancel.disabled;
      for (const b of [pause, resume, cancel, discard]) b.hidden = state === 'done';
      if (state !== 'running') speed.textContent = eta.textContent = '–';
    },
    showProgress(p) {
      lastPhase = p.phase;
      if (element.dataset['state'] === 'running') setPhase(p.phase);
      bar.value = p.percent;
      percent.textContent = `${Math.floor(p.percent)} %`;
      sent.textContent = `${formatBytes(p.transferredBytes)} of ${formatBytes(p.totalBytes)}`;
      speed.textContent = formatSpeed(p.bytesPerSecond);
      eta.textContent = p.phase === 'done' ? '0 s' : formatDuration(p.etaSeconds);
      bar.title = `Part ${p.completedParts} of ${p.totalParts} done`;
    },
    notice(text) {
      notice.hidden = text === undefined;
      notice.textContent = text ?? '';
    },
    error(text) {
      error.hidden = text === undefined;
      error.replaceChildren(...(text ? errorContent(text) : []));
    },
  };
}
