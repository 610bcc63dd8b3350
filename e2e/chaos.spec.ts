/**
 * Chaos (issue 7): ONE 256 MiB upload from Chromium through everything at once.
 *
 * - 3 page reloads: after each, the same file is selected again and the upload resumes from the
 *   IndexedDB journal (the resume page, e2e/fixtures/resume-page, with the SDK's defaults except
 *   2 MiB parts).
 * - 2 SIGKILLs of the OSS server process (its own process, fsync on), each restarted on the same
 *   port and data directory, listening again after a seeded 1–2 s.
 * - 5 % of UploadPart requests answered 500 or 503 and 1 % with the socket dropped mid-body: the
 *   server's seeded fault injection, re-armed after every restart (plus one of each kind at a
 *   seeded early request, so every kind surely fires).
 * - Every STS token revoked every 30 s (`/_local/sts/expire`, from a seeded phase on); the page gets
 *   its credentials from an STS "backend" (`window.ossBackendSts`, minted in this process by the
 *   server's own token authority: STS is not the OSS process, so it survives the kills).
 * - 10 s offline (`context.setOffline`).
 * The server holds each UploadPart that no fault hit for 1.5 s (a ~5 MB/s uplink over 4 lanes), so
 * the run spans the STS period. The six disruptions happen one at a time, each at a seeded point of progress
 * once the upload is sending again after the previous one; expiries fall between them.
 *
 * Checks: the upload completes; the stored object is byte-identical to the file (read back through
 * the official ali-oss client); one Initiate; every Complete request lists each part once (the
 * server logs the part numbers of Complete bodies) and the successful one lists 1…128; no part is
 * ever sent again once the page had journalled it (the journal is read after each reload, during
 * each kill and the offline window, and about every second, each time paired with the log's
 * length); any part the server acknowledged twice was in flight at a reload, a kill or going
 * offline (a request cut on the browser's side may still have reached the server whole), and at
 * most twice `concurrency` parts were in flight at each (`concurrency` sending, at most as many
 * more whose bodies had gone out and which awaited their answers: src/async/run-concurrently.ts); and the chaos really happened: 3 resumes that
 * skipped exactly the journalled parts, 2 restarts with new pids, 500s, 503s and drops in the log, a SecurityTokenExpired answer after
 * every expiry and a backend call for each, and an offline window while parts were pending.
 *
 * It rides out the 1–2 s restarts on the SDK's default retry settings: with the former full-jitter
 * backoff it did not (CHAOS_SEED=3 failed with OssNetworkError), see `equalJitter` in src/oss/retry.ts.
 *
 * Replay: the seed is printed at the start and in every failure message; run
 * `CHAOS_SEED=<seed> npx playwright test e2e/chaos.spec.ts`. The plan (order and points of the
 * disruptions, STS phase, fault generators) derives from it; browser and server timing still vary,
 * so a replay repeats the plan, not every request.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, Page, TestInfo } from '@playwright/test';
import { createTokenAuthority } from '../server/src/sts/token.js';
import {
  firedFaults, resendsOfJournalledParts, tokenRefusals, unexplainedRepeats, type Interruption, type JournalObservation,
} from './support/chaos-checks.js';
import { chaosSeed, faultRules, planChaos, type ChaosPlan } from './support/chaos-plan.js';
import { expect, test } from './support/fixtures.js';
import { acknowledgedCounts, ossControl, type RequestLogEntry } from './support/oss-control.js';
import type { PageServer } from './support/pages.js';
import {
  attachJson, bucket, expectDone, maxInFlight, MiB, openResumePage, range, region, resumePage, unquote, waitForResumePage, type ResumePageConfig, type RunSnapshot,
} from './support/resume-page.js';
import { rootKeys, startServerProcess, type ServerProcess } from './support/server-process.js';
import { createTestFile, type TestFile } from './support/test-file.js';

const fileSize = 256 * MiB;
const partSize = 2 * MiB;
const totalParts = fileSize / partSize;
/** The SDK's default. */
const concurrency = 4;
const partDelayMs = 1_500;
const stsPeriodMs = 30_000;
const offlineMs = 10_000;
/** No STS expiry past this share of the parts: the last few parts and Complete run undisturbed. */
const expiriesUntil = 0.9;
const key = 'e2e/chaos/video-256MiB.bin';

const cleanups: Array<() => Promise<unknown>> = [];
test.afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Puts the replay command in front of a failure's message (and stack, which the report prints). */
function withSeed(error: unknown, replay: string): unknown {
  if (!(error instanceof Error)) return new Error(`${replay}\n${String(error)}`);
  const { message } = error;
  error.message = `[${replay}]\n${message}`;
  if (error.stack?.includes(message)) error.stack = error.stack.replace(message, error.message);
  return error;
}

test('chaos · 256 MiB through 3 reloads, 2 server SIGKILLs, 5 % 5xx, 1 % dropped sockets, STS expiring every 30 s, 10 s offline', async ({ page, context, pages }, testInfo) => {
  test.setTimeout(175_000);
  const seed = chaosSeed(process.env['CHAOS_SEED']);
  const replay = `CHAOS_SEED=${seed} npx playwright test e2e/chaos.spec.ts`;
  const plan = planChaos(seed, { totalParts, partSize });
  console.log(`[chaos] seed ${seed}: ${plan.disruptions.map((d) => `${d.kind}@${d.atParts}`).join(', ')}; first STS expiry at ${plan.firstStsExpiryMs} ms (replay: ${replay})`);
  testInfo.annotations.push({ type: 'seed', description: replay });
  const testStarted = Date.now();

  const file = await createTestFile(fileSize, 'video-256MiB.bin');
  cleanups.push(() => file.dispose());
  const dataDir = await mkdtemp(join(tmpdir(), 'oss-resumable-chaos-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const booting = Date.now();
  let server = await startServerProcess({ dataDir, fsync: true, args: ['--faults'] });
  const startupMs = Date.now() - booting;
  cleanups.push(() => server.stop());
  try {
    const summary = await runChaos({ page, context, pages, plan, file, dataDir, server, startupMs, onRestart: (next) => (server = next), testInfo });
    const elapsedMs = Date.now() - testStarted;
    await attachJson(testInfo, 'chaos-summary.json', { seed, elapsedMs, plan, ...summary });
    testInfo.annotations.push({ type: 'chaos', description: `seed ${seed}: ${(elapsedMs / 1000).toFixed(1)} s in all, upload ${(summary.uploadMs / 1000).toFixed(1)} s; ${JSON.stringify(summary.faults)}` });
    console.log(`[chaos] seed ${seed} passed in ${(elapsedMs / 1000).toFixed(1)} s (upload ${(summary.uploadMs / 1000).toFixed(1)} s): ${JSON.stringify(summary.faults)}`);
  } catch (error) {
    console.log(`[chaos] seed ${seed} FAILED after ${((Date.now() - testStarted) / 1000).toFixed(1)} s; replay: ${replay}\n${server.output().slice(-3_000)}`);
    throw withSeed(error, replay);
  }
});

type ChaosContext = {
  page: Page;
  context: BrowserContext;
  pages: PageServer;
  plan: ChaosPlan;
  file: TestFile;
  dataDir: string;
  server: ServerProcess;
  /** How long the first server process took to listen. */
  startupMs: number;
  onRestart: (server: ServerProcess) => void;
  testInfo: TestInfo;
};

type Status = Pick<RunSnapshot, 'state' | 'error' | 'resumes'> & { done: number };

async function runChaos({ page, context, pages, plan, file, dataDir, server: firstServer, startupMs, onRestart, testInfo }: ChaosContext) {
  let server = firstServer;
  const { port } = server;
  const control = ossControl({ server: { url: `http://127.0.0.1:${port}` } });
  let generation = 0;
  const armFaults = async () => {
    const { rules, seed } = faultRules(plan, key, generation++, partDelayMs);
    await control.addFaults(rules, seed);
  };
  await armFaults();

  // The app's STS backend: a fresh 15-minute token per call.
  const authority = createTokenAuthority({ rootSecret: rootKeys.accessKeySecret, now: Date.now });
  let stsCalls = 0;
  await page.exposeFunction('ossBackendSts', () => {
    stsCalls += 1;
    const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = authority.mint({
      durationSeconds: 900, roleArn: 'acs:ram::1234567890123456:role/e2e-uploader', sessionName: 'chaos',
    });
    return { AccessKeyId, AccessKeySecret, SecurityToken, Expiration };
  });

  // Every UploadPart the page starts, by page session (a reload starts a new one).
  let session = 0;
  const sent: Array<{ partNumber: number; at: number; session: number }> = [];
  const origin = new URL(server.endpoint).origin;
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() === 'PUT' && url.origin === origin && url.searchParams.has('partNumber')) {
      sent.push({ partNumber: Number(url.searchParams.get('partNumber')), at: Date.now(), session });
    }
  });
  /** Parts the page sent in `inSession` (until `before`) that `journal` lacks: those in flight. */
  const inFlight = (inSession: number, journal: readonly number[], before = Infinity) =>
    [...new Set(sent.filter((s) => s.session === inSession && s.at <= before).map((s) => s.partNumber))].filter((n) => !journal.includes(n)).sort((a, b) => a - b);

  // The server's request log, mirrored as it grows (it survives the kills: it is in the data dir).
  const log: RequestLogEntry[] = [];
  const pullLog = async () => {
    log.push(...await control.log(log.length));
    return log.length;
  };

  const ui = resumePage(page);
  const config: ResumePageConfig = { endpoint: server.endpoint, bucket, region, pathStyle: true, signatureVersion: 'v4', credentials: 'backend', partSize, concurrency };
  const startRun = async () => {
    await ui.configure(config);
    await ui.pick(file.path);
    return ui.start({ kind: 'input' }, { key });
  };
  await openResumePage(page, pages);
  const started = Date.now();
  let run = await startRun();
  let uploadId: string | undefined;
  let disruptionsLeft = plan.disruptions.length;

  const status = async (): Promise<Status> => {
    const s = await page.evaluate((r) => {
      const snapshot = window.resumePage!.snapshot(r);
      return { state: snapshot.state, error: snapshot.error, resumes: snapshot.resumes, done: snapshot.progress.at(-1)?.completedParts ?? 0 };
    }, run);
    if (s.state === 'failed' || s.state === 'paused') throw new Error(`The upload ${s.state} in the page at ${s.done}/${totalParts} parts: ${s.error?.name}: ${s.error?.message}\n${s.error?.stack ?? ''}`);
    if (s.state === 'done' && disruptionsLeft > 0) throw new Error(`The upload completed before the plan did (${disruptionsLeft} disruptions left): the run is too fast for its schedule`);
    return s;
  };
  const readJournal = async (): Promise<readonly number[]> => {
    const records = await ui.journal();
    expect(records.length, 'one journal record at most').toBeLessThanOrEqual(1);
    const record = records[0];
    if (!record) return [];
    uploadId ??= record.uploadId;
    expect(record.uploadId, 'the upload keeps its uploadId').toBe(uploadId);
    return record.partNumbers;
  };
  const observations: JournalObservation[] = [];
  const observe = async (label: string): Promise<JournalObservation> => {
    const journal = await readJournal();
    const observation = { label, journal, mark: await pullLog() }; // the mark after the journal: its parts' answers are all before it
    observations.push(observation);
    return observation;
  };

  // STS expiries: one every period, between disruptions; each must be seen refusing a request.
  const expiries: Array<{ atMs: number; mark: number; firstRefusalMs: number }> = [];
  let nextExpiryAt = started + plan.firstStsExpiryMs;
  const expireSts = async () => {
    const mark = await pullLog();
    await control.expireSts();
    const at = Date.now();
    nextExpiryAt = at + stsPeriodMs;
    while (tokenRefusals(log, mark).length === 0) {
      if (Date.now() - at > 15_000) throw new Error(`No request was refused with SecurityTokenExpired within 15 s of the STS expiry at ${at - started} ms`);
      await status();
      await sleep(200);
      await pullLog();
    }
    expiries.push({ atMs: at - started, mark, firstRefusalMs: Date.parse(log[tokenRefusals(log, mark)[0]!]!.time) - at });
  };

  /** Polls (journal, log, STS schedule) until `until` holds. */
  const waitFor = async (what: string, until: (s: Status) => boolean, timeoutMs: number, { expire = true } = {}): Promise<Status> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if (until(s)) return s;
      if (expire && Date.now() >= nextExpiryAt && s.state === 'running' && s.done < totalParts * expiriesUntil) await expireSts();
      await observe('poll');
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${s.done}/${totalParts} parts, state ${s.state})`);
      await sleep(150);
    }
  };

  const interruptions: Interruption[] = [];
  const resumes: Array<{ skippedParts: number; journalled: number }> = [];
  const restarts: Array<{ oldPid: number; newPid: number; plannedMs: number; downMs: number }> = [];
  /** How long the last start took until it listened: the estimate for the next. */
  let bootMs = startupMs;
  let offline: { atMs: number; forMs: number; journalled: number; startedWhileOffline: number; sawOffline: boolean } | undefined;

  const reload = async (label: string) => {
    await page.reload();
    session += 1;
    await waitForResumePage(page);
    // What survived the reload; everything the old page sent is in its session.
    const journal = await readJournal();
    const mark = await pullLog();
    interruptions.push({ kind: 'reload', label, journal, mark, inFlight: inFlight(session - 1, journal) });
    observations.push({ label, journal, mark });
    run = await startRun();
    const s = await waitFor(`the resume after ${label}`, (x) => x.resumes.length > 0, 30_000, { expire: false });
    const info = s.resumes[0]!;
    expect(info, `${label}: resumed the same upload`).toMatchObject({ resumed: true, uploadId });
    resumes.push({ skippedParts: info.resumed ? info.skippedParts : -1, journalled: journal.length });
    return s.done;
  };

  const kill = async (label: string, downtimeMs: number) => {
    const at = Date.now();
    const oldPid = server.pid;
    await server.kill();
    // Everything the dead process logged is in the file; the restarted one appends after it.
    const mark = (await readFile(join(dataDir, 'requests.log'), 'utf8')).split('\n').length - 1;
    // Down for the planned time: the restart is started so that it listens about then.
    await sleep(Math.max(300, at + downtimeMs - bootMs - Date.now()));
    // Nothing is acknowledged while the server is down, so the journal is what the kill left (its
    // last writes settled by now), and the parts sent and not journalled are the lanes' parts.
    const journal = await readJournal();
    observations.push({ label, journal, mark });
    interruptions.push({ kind: 'kill', label, journal, mark, inFlight: inFlight(session, journal) });
    const booting = Date.now();
    server = await startServerProcess({ port, dataDir, fsync: true, args: ['--faults'] });
    onRestart(server);
    bootMs = Date.now() - booting;
    restarts.push({ oldPid, newPid: server.pid, plannedMs: downtimeMs, downMs: Date.now() - at });
    await armFaults();
    await pullLog();
    return (await status()).done;
  };

  const goOffline = async (label: string) => {
    const at = Date.now();
    await context.setOffline(true);
    await page.waitForFunction(() => !navigator.onLine);
    while (Date.now() - at < offlineMs) {
      await status();
      await sleep(250);
    }
    // Requests already under way may still finish offline; nothing new starts. So the journal now is
    // what the window left, and a part sent but not journalled had its request cut (yet the server
    // may have received it whole): it was in flight.
    const observation = await observe(label);
    const back = Date.now();
    interruptions.push({ kind: 'offline', label, journal: observation.journal, mark: observation.mark, inFlight: inFlight(session, observation.journal, back) });
    await context.setOffline(false);
    const seen = await ui.connectivity();
    offline = {
      atMs: at - started, forMs: back - at, journalled: observation.journal.length,
      // A backoff timer that was already running may fire once per lane; nothing else may start.
      startedWhileOffline: sent.filter((s) => s.at > at + 1_000 && s.at < back).length,
      sawOffline: seen.some(([when, online]) => !online && when >= at - 1_000 && when <= back),
    };
    return (await status()).done;
  };

  // The plan, one disruption at a time, each once the upload is sending again.
  let resumedAt = 0;
  const downtimes = [...plan.downtimeMs];
  for (const [i, { kind, atParts }] of plan.disruptions.entries()) {
    const label = `${kind} #${i + 1} at ${atParts} parts`;
    await waitFor(label, (s) => s.done >= atParts && s.done >= resumedAt + 2, 90_000);
    disruptionsLeft -= 1;
    resumedAt = kind === 'reload' ? await reload(label) : kind === 'kill' ? await kill(label, downtimes.shift()!) : await goOffline(label);
  }
  await waitFor('the upload to complete', (s) => s.state === 'done', 90_000);
  const uploadMs = Date.now() - started;
  const outcome = expectDone(await ui.outcome(run));
  const entries = await control.log();
  await attachJson(testInfo, 'chaos-log.json', {
    interruptions, expiries, offline, sent,
    log: entries.flatMap((e, index) => (e.key === key && e.op !== 'Options' ? [{ index, ...e }] : [])),
  });
  expect(entries.slice(0, log.length).map((e) => e.requestId), 'the mirrored log is the server\'s').toEqual(log.map((e) => e.requestId));
  expect(uploadId).toBeDefined();
  const id = uploadId!;

  // (1) Completed, (2) byte-identical.
  expect(outcome.result.size).toBe(file.size);
  expect(unquote(outcome.result.etag)).toBe(file.multipartEtag(partSize));
  const stored = await server.client.getStream(key);
  const md5 = createHash('md5');
  let offset = 0;
  let firstDifference = -1;
  for await (const chunk of stored.stream as AsyncIterable<Buffer>) {
    md5.update(chunk);
    if (firstDifference < 0 && !chunk.equals(file.bytes.subarray(offset, offset + chunk.length))) firstDifference = offset;
    offset += chunk.length;
  }
  expect(offset, 'stored size').toBe(file.size);
  expect(firstDifference, 'offset of the first stored byte that differs from the file').toBe(-1);
  expect(md5.digest('hex')).toBe(file.md5Hex());

  // (3) One Initiate; every Complete lists each part once; the successful one lists them all.
  const mine = entries.filter((e) => e.key === key && e.op !== 'Options');
  expect(mine.filter((e) => e.op === 'InitiateMultipartUpload').map((e) => e.status)).toEqual([200]);
  const completes = mine.filter((e) => e.op === 'CompleteMultipartUpload');
  for (const complete of completes) {
    expect(complete.uploadId).toBe(id);
    expect(complete.completeParts, 'the server logged the part list of every Complete').toBeDefined();
    expect(new Set(complete.completeParts).size, `Complete ${complete.requestId} names no part twice`).toBe(complete.completeParts!.length);
  }
  const completed = completes.filter((e) => e.status === 200);
  expect(completed).toHaveLength(1);
  expect(completed[0]!.completeParts).toEqual(range(1, totalParts));

  // (4) No journalled part sent again; repeats only of parts in flight at a reload, a kill or going offline.
  expect(resendsOfJournalledParts(entries, id, observations), 'UploadPart requests for parts already journalled').toEqual([]);
  expect(unexplainedRepeats(entries, id, interruptions), 'parts acknowledged twice that were not in flight at a reload, a kill or going offline').toEqual([]);
  for (const interruption of interruptions) {
    expect(interruption.inFlight.length, `${interruption.label}: parts in flight ≤ 2 × concurrency (sending + awaiting answers)`).toBeLessThanOrEqual(maxInFlight(concurrency));
    // The checks above saw traffic on both sides of it.
    expect(entries.slice(interruption.mark).filter((e) => e.op === 'UploadPart' && e.uploadId === id).length, `${interruption.label}: parts sent after it`).toBeGreaterThan(0);
    expect(interruption.journal.length, `${interruption.label}: some parts were journalled and some were not`).toBeGreaterThan(0);
    expect(interruption.journal.length).toBeLessThan(totalParts);
  }

  // The chaos happened.
  expect(resumes, '3 reloads, each resuming with exactly the journalled parts skipped').toHaveLength(3);
  for (const r of resumes) expect(r.skippedParts).toBe(r.journalled);
  expect(restarts, '2 kills and restarts').toHaveLength(2);
  for (const r of restarts) expect(r.newPid).not.toBe(r.oldPid);
  const faults = firedFaults(entries, id);
  expect(faults.error500, 'UploadParts answered 500').toBeGreaterThan(0);
  expect(faults.error503, 'UploadParts answered 503').toBeGreaterThan(0);
  expect(faults.dropped, 'UploadParts dropped mid-body').toBeGreaterThan(0);
  expect(expiries.length, 'STS expiries during the upload').toBeGreaterThanOrEqual(2);
  for (const [i, expiry] of expiries.entries()) {
    const until = expiries[i + 1]?.mark ?? entries.length;
    expect(tokenRefusals(entries, expiry.mark).filter((n) => n < until).length, `SecurityTokenExpired after the expiry at ${expiry.atMs} ms`).toBeGreaterThan(0);
  }
  expect(stsCalls, 'a backend call at each page load and after each expiry').toBeGreaterThanOrEqual(1 + resumes.length + expiries.length);
  expect(offline, 'the offline window happened').toBeDefined();
  expect(offline!.sawOffline, 'the page saw navigator.onLine go false').toBe(true);
  expect(offline!.journalled, 'parts were pending when the page went offline').toBeLessThan(totalParts);
  expect(offline!.startedWhileOffline, 'UploadParts started while offline (at most one pending retry per part in flight)').toBeLessThanOrEqual(maxInFlight(concurrency));

  return {
    uploadMs, uploadId: id, stsCalls, expiries, restarts, offline, resumes, faults: { ...faults, completes: completes.length },
    interruptions: interruptions.map(({ kind, label, journal, mark, inFlight: parts }) => ({ kind, label, journalled: journal.length, mark, inFlight: parts })),
    observations: observations.length,
    repeatedParts: [...acknowledgedCounts(entries, id)].filter(([, acks]) => acks > 1).map(([n, acks]) => ({ partNumber: n, acks })),
  };
}
