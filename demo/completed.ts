/**
 * "Completed": finished objects with a presigned download link, and a check mark once the MD5 of
 * the downloaded bytes equals the MD5 of the local file. Both digests are computed by the SDK's
 * hasher in a Web Worker, so verifying a large file never blocks the page.
 */
import { createHasher, type Hasher } from '../src/index.js';
import type { Announcer } from './announcer.js';
import { el } from './dom.js';
import { describeError, formatBytes } from './format.js';
import type { UploaderHost } from './uploader-host.js';

/** A finished upload. */
export type CompletedUpload = { readonly key: string; readonly size: number; readonly file: File };

/** Downloads larger than this are not verified: the downloaded body is held in memory. */
const maxVerifyBytes = 512 * 1024 * 1024;

async function md5(hasher: Hasher, blob: Blob): Promise<string> {
  return (await hasher.hash(blob, { md5: true, crc64: false })).md5Hex ?? '';
}

/** Creates the list rendering into `list` (an `<ul>`). */
export function createCompletedList(deps: { host: UploaderHost; announce: Announcer; list: HTMLElement }): { add(done: CompletedUpload): void } {
  let hasher: Hasher | undefined;

  const verify = async (done: CompletedUpload, url: string, check: HTMLElement) => {
    if (done.size > maxVerifyBytes) {
      check.textContent = 'not verified (too large to download into the page)';
      return;
    }
    hasher ??= createHasher({ workers: 2 });
    try {
      const download = fetch(url).then(async (response) => {
        if (!response.ok) throw new Error(`The download answered HTTP ${response.status}`);
        return response.blob();
      });
      const [local, remote] = await Promise.all([md5(hasher, done.file), download.then((blob) => md5(hasher!, blob))]);
      const same = local !== '' && local === remote;
      check.dataset['verified'] = String(same);
      check.textContent = same ? '✓ MD5 verified' : '✗ MD5 differs';
      check.title = same ? `MD5 ${local} (local file and download)` : `local ${local}, downloaded ${remote}`;
      deps.announce.say(same ? `${done.file.name}: the download matches the local file.` : `${done.file.name}: the download does not match the local file!`);
    } catch (error) {
      check.dataset['verified'] = 'false';
      check.textContent = `✗ could not verify: ${describeError(error).message}`;
    }
  };

  return {
    add(done) {
      const name = done.key.slice(done.key.lastIndexOf('/') + 1);
      const link = el('a', { class: 'link', 'aria-label': `Download ${name}` }, 'Download');
      const check = el('span', { class: 'check', 'data-verified': 'pending' }, 'verifying…');
      const item = el('li', { class: 'item', 'data-key': done.key },
        el('div', { class: 'item-main' },
          el('span', { class: 'name', title: done.key }, name),
          el('span', { class: 'meta' }, `${formatBytes(done.size)} · `, el('code', {}, done.key))),
        el('span', { class: 'actions' }, check, link));
      deps.list.prepend(item);
      void deps.host.current().client.presignUrl(done.key, { expires: 3600 }).then(
        (url) => {
          link.href = url;
          return verify(done, url, check);
        },
        (error: unknown) => {
          check.textContent = `✗ no download link: ${describeError(error).message}`;
        },
      );
    },
  };
}
