/**
 * A real browser profile for restart tests: `chromium.launchPersistentContext` on a user data
 * directory that outlives the browser, with the same executable and flags as playwright.config.ts
 * (read from the project's `use.launchOptions`, so the two cannot drift).
 *
 * File handles after a restart: Chromium keeps a `FileSystemFileHandle` stored in IndexedDB, but its
 * read permission normally ends with the session — after a restart `queryPermission()` says
 * 'prompt', and `requestPermission()` needs a user gesture and shows a prompt headless Chromium
 * cannot answer. Chromium 122+ has "persistent permissions": when the user chooses "Allow on every
 * visit" in that prompt, Chromium sets the `file_system_access_extended_permission` content setting
 * for the origin and from then on restores the origin's file grants after a restart. Playwright's
 * `grantPermissions` has no File System Access permission (nor has CDP's PermissionType), so
 * `grantOnEveryVisit` writes that very content setting into the profile before the first launch:
 * the state a user who clicked "Allow on every visit" is in.
 */
import { chromium, type BrowserContext, type TestInfo } from '@playwright/test';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh user data directory. */
export async function createProfile(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'oss-resumable-e2e-profile-'));
}

/** Pre-sets "Allow on every visit" (File System Access persistent permissions) for `origin`; call before the first launch. */
export async function grantOnEveryVisit(userDataDir: string, origin: string): Promise<void> {
  await mkdir(join(userDataDir, 'Default'), { recursive: true });
  const preferences = {
    profile: { content_settings: { exceptions: { file_system_access_extended_permission: { [`${origin},*`]: { setting: 1 } } } } },
  };
  await writeFile(join(userDataDir, 'Default', 'Preferences'), JSON.stringify(preferences));
}

/** Launches Chromium on `userDataDir` (headless, the config's executable and flags) and returns its one context. */
export async function launchProfile(userDataDir: string, testInfo: TestInfo): Promise<BrowserContext> {
  const configured = testInfo.project.use.launchOptions ?? {};
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env['CHROMIUM_PATH'] ?? configured.executablePath ?? '/usr/bin/chromium',
    args: [...(configured.args ?? [])],
    headless: true,
  });
}
