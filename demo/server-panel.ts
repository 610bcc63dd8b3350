/**
 * "On the server": the multipart uploads in progress under the upload prefix, straight from
 * ListMultipartUploads — whatever any tab, crash or cancel left behind — each with an Abort button.
 */
import type { ListedUpload } from '../src/index.js';
import type { Announcer } from './announcer.js';
import { button, el } from './dom.js';
import { describeError, errorContent } from './format.js';
import { coalesce, syncList } from './keyed-list.js';
import type { UploaderHost } from './uploader-host.js';

/** What the panel needs from the page. */
export type ServerPanelDeps = {
  readonly host: UploaderHost;
  readonly announce: Announcer;
  readonly list: HTMLElement;
  readonly status: HTMLElement;
  /** An upload was aborted (the resumable panel's record now points at nothing). */
  onChanged(): void;
};

/** The time of day for today's dates, date and time otherwise. */
const time = (iso: string) => {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
};

/** Creates the panel; `refresh()` asks the server again. */
export function createServerPanel(deps: ServerPanelDeps): { refresh(): Promise<void> } {
  const { prefix } = deps.host.config;

  const abort = async (upload: ListedUpload, item: HTMLElement) => {
    const notice = item.querySelector<HTMLElement>('.notice')!;
    try {
      await deps.host.current().client.abortMultipartUpload(upload.key, upload.uploadId);
      deps.announce.say(`Aborted the upload of ${upload.key} on the server.`);
    } catch (error) {
      notice.hidden = false;
      notice.replaceChildren(...errorContent(describeError(error)));
    }
    void refresh();
    deps.onChanged();
  };

  const create = (upload: ListedUpload) => {
    const name = upload.key.startsWith(prefix) ? upload.key.slice(prefix.length) : upload.key;
    const item: HTMLLIElement = el('li', { class: 'item', 'data-key': upload.key },
      el('div', { class: 'item-main' },
        el('span', { class: 'name', title: upload.key }, name),
        el('span', { class: 'meta' }, `started ${time(upload.initiated)} · upload ID `,
          el('code', { title: upload.uploadId }, `${upload.uploadId.slice(0, 10)}…`))),
      el('span', { class: 'actions' },
        button('Abort', () => void abort(upload, item), { class: 'danger', 'aria-label': `Abort the upload of ${name} on the server` })),
      el('p', { class: 'notice', hidden: true, role: 'alert' }));
    return item;
  };

  const refresh = coalesce(async () => {
    try {
      const uploads: ListedUpload[] = [];
      let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
      do {
        const page = await deps.host.current().client.listMultipartUploads({ prefix, ...marker });
        uploads.push(...page.uploads);
        marker = page.isTruncated && page.nextKeyMarker ? { keyMarker: page.nextKeyMarker, uploadIdMarker: page.nextUploadIdMarker } : undefined;
      } while (marker);
      syncList(deps.list, uploads, (u) => u.uploadId, create, () => undefined);
      deps.status.textContent = `Checked at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      deps.status.replaceChildren(...errorContent(describeError(error)));
    }
  });
  return { refresh };
}
