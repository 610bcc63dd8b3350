/**
 * "Resumable uploads": the unfinished uploads `listPending()` remembers (after a reload, a crash or
 * a cancel). With a stored file handle, Resume calls `resume(id)`; without one, the user selects
 * the file again and it is uploaded with `upload(file, key)`, which resumes when its fingerprint
 * matches. Discard aborts the upload on the server and forgets it.
 */
import { createIndexedDbStore, discardPending, listPending, type PendingUpload } from '../src/index.js';
import type { Announcer } from './announcer.js';
import { button, el } from './dom.js';
import { pickFiles, takeInputFiles, type PickedFile } from './file-sources.js';
import { describeError, errorContent, formatAge, formatBytes } from './format.js';
import { coalesce, syncList } from './keyed-list.js';
import type { Queue } from './queue.js';
import type { UploaderHost } from './uploader-host.js';

/** What the panel needs from the page. */
export type PendingPanelDeps = {
  readonly host: UploaderHost;
  readonly queue: Queue;
  readonly announce: Announcer;
  readonly list: HTMLElement;
  readonly status: HTMLElement;
  /** Something changed that the server panel shows. */
  onChanged(): void;
};

/** The file handle an unfinished upload stored (the uploader's default store is this IndexedDB store). */
async function storedHandle(id: string): Promise<FileSystemFileHandle | undefined> {
  return (await createIndexedDbStore().get(id))?.fileHandle;
}

/** Creates the panel; `refresh()` reloads it from `listPending()`. */
export function createPendingPanel(deps: PendingPanelDeps): { refresh(): Promise<void> } {
  const notices = new Map<string, HTMLElement>();
  const say = (id: string, content: Array<Node | string> | undefined) => {
    const notice = notices.get(id);
    if (!notice) return;
    notice.hidden = content === undefined;
    notice.replaceChildren(...(content ?? []));
  };

  const reselected = (pending: PendingUpload, picked: PickedFile) => {
    const { file } = picked;
    if (file.name !== pending.fileName || file.size !== pending.fileSize) {
      say(pending.id, [`That is "${file.name}" (${formatBytes(file.size)}), not "${pending.fileName}" (${formatBytes(pending.fileSize)}). Select the same file to resume.`]);
      deps.announce.say(`Not the same file: ${pending.fileName} was expected.`);
      return;
    }
    say(pending.id, undefined);
    deps.queue.add(picked, pending.key, { expectResume: true });
    void refresh();
  };

  const resume = async (pending: PendingUpload) => {
    const handle = await storedHandle(pending.id);
    if (!handle) return say(pending.id, ['The stored file handle is gone; select the file instead.']);
    deps.queue.resumePending(pending, handle);
    void refresh();
  };

  const discard = async (pending: PendingUpload) => {
    try {
      await deps.host.run((uploader) => discardPending(uploader, pending.id));
      deps.announce.say(`${pending.fileName} discarded.`);
    } catch (error) {
      say(pending.id, errorContent(describeError(error)));
    }
    void refresh();
    deps.onChanged();
  };

  const create = (pending: PendingUpload) => {
    const input = el('input', { type: 'file', hidden: true, class: 'reselect-input', 'aria-label': `Select ${pending.fileName} again` });
    input.addEventListener('change', () => {
      const [picked] = takeInputFiles(input);
      if (picked) reselected(pending, picked);
    });
    const action = pending.hasFileHandle
      ? button('Resume', () => void resume(pending), { 'aria-label': `Resume ${pending.fileName}` })
      : button('Select file…', () => void pickFiles(input, false).then(([picked]) => picked && reselected(pending, picked)),
        { 'aria-label': `Select ${pending.fileName} again to resume it` });
    const notice = el('p', { class: 'notice', hidden: true, role: 'status' });
    notices.set(pending.id, notice);
    return el('li', { class: 'item', 'data-key': pending.key },
      el('div', { class: 'item-main' },
        el('span', { class: 'name', title: pending.key }, pending.fileName),
        el('span', { class: 'meta' }),
        el('progress', { max: pending.fileSize, value: pending.bytesDone, 'aria-label': `Already on the server of ${pending.fileName}` })),
      el('span', { class: 'actions' }, action, input,
        button('Discard', () => void discard(pending), { class: 'danger', 'aria-label': `Discard ${pending.fileName}`, title: 'Abort the multipart upload on the server' })),
      notice);
  };

  const update = (item: HTMLElement, pending: PendingUpload) => {
    const parts = pending.partsDone === 1 ? '1 part' : `${pending.partsDone} parts`;
    item.querySelector('.meta')!.textContent =
      `${formatBytes(pending.bytesDone)} of ${formatBytes(pending.fileSize)} on the server (${parts}) · updated ${formatAge(pending.ageMs)}`;
    item.querySelector('progress')!.value = pending.bytesDone;
  };

  const refresh = coalesce(async () => {
    try {
      const pending = (await listPending(deps.host.current())).filter((p) => !deps.queue.holds(p));
      syncList(deps.list, pending, (p) => `${p.id}:${p.hasFileHandle}`, create, update);
      for (const id of notices.keys()) if (!pending.some((p) => p.id === id)) notices.delete(id);
      deps.status.textContent = '';
    } catch (error) {
      deps.status.replaceChildren(...errorContent(describeError(error)));
    }
  });
  return { refresh };
}
