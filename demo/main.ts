/**
 * The demo page: wires the drop zone, the queue and the three panels to one uploader built from the
 * backend's configuration and the stored settings. Everything the SDK does is visible here: the
 * queue (progress, pause, resume, cancel, discard), resumable uploads after a reload, the
 * multipart uploads on the server, and verified downloads.
 */
import { createAnnouncer } from './announcer.js';
import { createCompletedList } from './completed.js';
import { el, find } from './dom.js';
import { bindDropZone } from './file-sources.js';
import { describeError, errorContent } from './format.js';
import { createPendingPanel } from './pending-panel.js';
import { createQueue } from './queue.js';
import { createServerPanel } from './server-panel.js';
import { bindSettingsForm, loadSettings, saveSettings } from './settings.js';
import { createUploaderHost, fetchConfig } from './uploader-host.js';

async function main(): Promise<void> {
  const announce = createAnnouncer(find('#live'));
  const config = await fetchConfig();
  find('#target').replaceChildren(
    'Uploading to ', el('code', {}, `${config.bucket}/${config.prefix}`), ' at ', el('code', {}, config.endpoint),
    ' with temporary STS credentials from ', el('code', {}, 'POST /api/sts'), '.');

  const settings = loadSettings();
  const host = createUploaderHost(config, settings);
  bindSettingsForm(find<HTMLFormElement>('#settings'), settings, (next) => {
    saveSettings(next);
    host.apply(next);
    find('#settings-status').textContent = 'Saved. New uploads use these settings; running ones keep theirs.';
  });

  const completed = createCompletedList({ host, announce, list: find('#completed') });
  const refreshPanels = () => {
    void pending.refresh();
    void server.refresh();
  };
  const queue = createQueue({ host, announce, list: find('#queue'), onCompleted: completed.add, onChanged: refreshPanels });
  const pending = createPendingPanel({
    host, queue, announce, list: find('#pending'), status: find('#pending-status'), onChanged: () => void server.refresh(),
  });
  const server = createServerPanel({
    host, announce, list: find('#server'), status: find('#server-status'), onChanged: () => void pending.refresh(),
  });

  find('#server-refresh').addEventListener('click', () => void server.refresh());
  find('#clear-done').addEventListener('click', () => queue.clearFinished());
  bindDropZone(find('#drop-zone'), find<HTMLInputElement>('#file-input'), (files) => {
    for (const picked of files) queue.add(picked, `${config.prefix}${picked.file.name}`);
    announce.say(files.length === 1 ? `Uploading ${files[0]!.file.name}.` : `Uploading ${files.length} files.`);
  });
  window.addEventListener('focus', refreshPanels); // another tab may have changed what is pending
  refreshPanels();
  document.body.dataset['ready'] = 'true';
}

main().catch((error: unknown) => {
  const banner = find('#fatal');
  banner.hidden = false;
  banner.replaceChildren('The demo could not start: ', ...errorContent(describeError(error)), ' Is the backend running (npm start)?');
});
