/**
 * The part map of one upload: a cell per part — waiting, hashing, in flight (filled as its bytes
 * go out), on the server (sent now, or already there when the upload resumed), and marked when a
 * part had to be sent again. It is drawn from the SDK's `onPartUpdate`; parts never reported are
 * waiting. Rendering only.
 */
import type { PartUpdate } from '../src/index.js';
import { el } from './dom.js';
import { formatBytes } from './format.js';

/** The map's element and how to feed it. */
export type PartMap = {
  readonly element: HTMLElement;
  /** The upload has `count` parts (from `onProgress`'s `totalParts`); cells are added as needed. */
  size(count: number): void;
  update(part: PartUpdate): void;
  /** Forgets every cell (a new run of the same row starts from its own updates). */
  reset(): void;
};

const stateWords: Record<PartUpdate['state'], string> = { waiting: 'waiting', hashing: 'hashing', sending: 'in flight', done: 'on the server' };

/** Creates an empty part map. */
export function createPartMap(): PartMap {
  const grid = el('div', { class: 'part-grid', role: 'img', 'aria-label': 'Part map' });
  const summary = el('span', { class: 'part-summary' });
  const element = el('div', { class: 'part-map' }, grid,
    el('div', { class: 'part-legend', 'aria-hidden': 'true' },
      ...(['waiting', 'hashing', 'sending', 'done', 'resumed', 'retried'] as const).map((kind) =>
        el('span', {}, el('i', { class: `part-cell legend`, 'data-state': kind === 'resumed' || kind === 'retried' ? 'done' : kind, 'data-resumed': kind === 'resumed', 'data-retried': kind === 'retried' }),
          kind === 'sending' ? 'in flight' : kind === 'done' ? 'on the server' : kind === 'resumed' ? 'already there' : kind)),
      summary));
  const cells: HTMLElement[] = [];
  const parts = new Map<number, PartUpdate>();
  const grow = (count: number) => {
    while (cells.length < count) {
      const cell = el('i', { class: 'part-cell', 'data-state': 'waiting', title: `Part ${cells.length + 1}: waiting` });
      cells.push(cell);
      grid.append(cell);
    }
  };
  const summarize = () => {
    const counts = { done: 0, resumed: 0, sending: 0, retried: 0 };
    for (const p of parts.values()) {
      if (p.state === 'done' && p.resumed) counts.resumed++;
      else if (p.state === 'done') counts.done++;
      if (p.state === 'sending') counts.sending++;
      if (p.attempts > 1) counts.retried++;
    }
    summary.textContent = `${cells.length} parts · ${counts.resumed + counts.done} on the server` +
      `${counts.resumed ? ` (${counts.resumed} already there)` : ''} · ${counts.sending} in flight${counts.retried ? ` · ${counts.retried} retried` : ''}`;
  };
  return {
    element,
    size(count) {
      grow(count);
      summarize();
    },
    update(part) {
      grow(part.partNumber);
      parts.set(part.partNumber, part);
      const cell = cells[part.partNumber - 1]!;
      const fill = part.state === 'sending' && part.size > 0 ? part.sentBytes / part.size : part.state === 'done' ? 1 : 0;
      cell.dataset['state'] = part.state;
      cell.dataset['resumed'] = String(part.resumed);
      cell.dataset['retried'] = String(part.attempts > 1);
      cell.style.setProperty('--fill', `${Math.round(fill * 100)}%`);
      cell.title = `Part ${part.partNumber} · ${formatBytes(part.size)} · ${part.resumed ? 'already on the server' : stateWords[part.state]}` +
        `${part.state === 'sending' ? ` ${Math.floor(fill * 100)} %` : ''}${part.attempts > 1 ? ` · attempt ${part.attempts}` : ''}`;
      summarize();
    },
    reset() {
      parts.clear();
      for (const cell of cells.splice(0)) cell.remove();
      summarize();
    },
  };
}
