import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleEntry } from '../../src/domain/recording-resources.ts';
import type { Recording } from '../../src/domain/types.ts';
import { requireMember } from '../../src/services/access.ts';
import { isExpired, listRecordings, readRecordingLog } from '../../src/services/recordings.ts';
import {
  type DemoServer,
  launchBrowser,
  SEE_MS,
  screenshot,
  see,
  signIn,
  startDemoServer,
  watchedContext,
} from './helpers.ts';

// Journey 3: open a demo recording from the list, play it, click a console error: the video jumps
// to that moment and the entry is highlighted. Then the same pages at a phone's width.

interface Target {
  recording: Recording;
  error: ConsoleEntry;
}

/** A playable demo recording with a console error well inside the video, alone at its moment. */
async function findTarget(s: DemoServer): Promise<Target> {
  const deps = s.server.t.deps;
  const access = await requireMember(deps, s.owner.userId, s.demo.workspaceId);
  const { items } = await listRecordings(deps, access, { page: 1, perPage: 25 });
  for (const recording of items) {
    if (isExpired(recording, Date.now())) continue;
    const log = await readRecordingLog(deps, access, recording.id, 'console-log');
    const entries = log.entries;
    const error = entries.find(
      (e, i) =>
        e.level === 'error' &&
        e.ts >= 3_000 &&
        e.ts <= 12_000 &&
        entries.filter((other) => other.ts === e.ts).length === 1 &&
        i > 0,
    );
    if (error) return { recording, error };
  }
  throw new Error('the demo has no playable recording with a console error');
}

const videoState = (page: Page) =>
  page.locator('video[data-player]').evaluate((v: HTMLVideoElement) => ({
    currentTime: v.currentTime,
    paused: v.paused,
    muted: v.muted,
    readyState: v.readyState,
  }));

/** Polls `read` every 50 ms until `ok` holds (at most SEE_MS); returns the last value. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + SEE_MS;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

// Chromium's own video controls take two clicks on a video less than 300 ms apart for a
// double-click and toggle fullscreen, whatever each click's `detail` (MediaControlsImpl::
// HandleClickEvent, kDoubleTapDelay = 300 ms); the fullscreen video then covers the whole page.
// A person who pauses, clicks a log entry and plays on is never that quick; a test is, so it
// leaves a person's gap between its clicks on the video.
const VIDEO_DOUBLE_CLICK_MS = 300;

/** Clicks `video` (a user gesture), at least VIDEO_DOUBLE_CLICK_MS after its previous click. */
function videoClicker(video: Locator): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    const wait = last + VIDEO_DOUBLE_CLICK_MS + 100 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await video.click();
    last = performance.now();
  };
}

describe('recordings and the player (Chromium)', () => {
  let s: DemoServer;
  let browser: Browser;
  let target: Target;

  beforeAll(async () => {
    s = await startDemoServer();
    target = await findTarget(s);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.server.close();
  });

  it('plays a demo recording; clicking a console error seeks the video there and highlights it', async () => {
    const { context, watch } = await watchedContext(browser, s.server.url);
    const page = await context.newPage();
    await signIn(page, s.server.url, s.owner);

    // Signing in lands on the workspace's recordings, newest first.
    await see(page.getByRole('heading', { name: 'Recordings', level: 1 }));
    expect(await page.locator('tbody tr').count()).toBe(12);
    await screenshot(page, 'recordings');

    const row = page.locator(`a[href$="/recordings/${target.recording.id}"]`);
    await row.click();
    await see(page.getByRole('heading', { name: target.recording.link.title ?? 'Untitled link', level: 1 }));
    const video = page.locator('video[data-player]');
    await see(video);
    const clickVideo = videoClicker(video);
    // The Console tab is selected and its entries are listed.
    expect(await page.getByRole('tab', { name: 'Console' }).getAttribute('aria-selected')).toBe('true');
    const errorEntry = page.locator(`#panel-console button.entry[data-ts="${target.error.ts}"]`);
    await see(errorEntry);
    expect(await errorEntry.textContent()).toContain(target.error.message);

    // Play it, muted, with a click on the video (a real user gesture).
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
    });
    await until(
      () => videoState(page),
      (v) => v.readyState >= 1,
    );
    await clickVideo();
    const playing = await until(
      () => videoState(page),
      (v) => !v.paused && v.currentTime > 0.2,
    );
    expect(playing.paused).toBe(false);
    expect(playing.currentTime).toBeGreaterThan(0.2);
    expect(playing.currentTime).toBeLessThan(target.error.ts / 1000 - 0.5);
    // Pause (another click), so the highlight stays on the entry we look at.
    await clickVideo();
    await until(
      () => videoState(page),
      (v) => v.paused,
    );

    // Click the console error: the video jumps to its moment and the entry is highlighted.
    await errorEntry.click();
    const after = await until(
      () => videoState(page),
      (v) => Math.abs(v.currentTime - target.error.ts / 1000) < 0.1,
    );
    expect(after.currentTime).toBeCloseTo(target.error.ts / 1000, 1);
    await until(
      () => errorEntry.getAttribute('aria-current'),
      (v) => v === 'true',
    );
    expect(await errorEntry.getAttribute('aria-current')).toBe('true');
    expect(await errorEntry.getAttribute('class')).toContain('current');
    // Only that entry of the console list is current.
    expect(await page.locator('#panel-console button.entry.current').count()).toBe(1);
    await screenshot(page, 'player');

    // Playing on moves the highlight forward along with the video.
    await clickVideo();
    const later = target.error.ts + 1_500;
    await until(
      () => videoState(page),
      (v) => v.currentTime * 1000 > later,
    );
    const current = page.locator('#panel-console button.entry.current');
    const currentTs = Number(await current.getAttribute('data-ts'));
    expect(currentTs).toBeGreaterThanOrEqual(target.error.ts);

    // The Info tab shows the recording's details.
    await page.getByRole('tab', { name: 'Info' }).click();
    await see(page.locator('#panel-info').getByText('Customer notes'));
    expect(await page.locator('#panel-console').isHidden()).toBe(true);

    await context.close();
    watch.assertClean();
  });

  it('the recordings list and the player fit a phone’s width', async () => {
    const { context, watch } = await watchedContext(browser, s.server.url, {
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await signIn(page, s.server.url, s.owner);
    await see(page.getByRole('heading', { name: 'Recordings', level: 1 }));
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth);
    expect(await overflow()).toBeLessThanOrEqual(390);
    await screenshot(page, 'recordings-phone');

    await page.locator(`a[href$="/recordings/${target.recording.id}"]`).click();
    const video = page.locator('video[data-player]');
    await see(video);
    const box = await video.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await overflow()).toBeLessThanOrEqual(390);
    // The error entry is reachable and still seeks the video.
    const errorEntry = page.locator(`#panel-console button.entry[data-ts="${target.error.ts}"]`);
    await errorEntry.scrollIntoViewIfNeeded();
    await errorEntry.click();
    const after = await until(
      () => videoState(page),
      (v) => Math.abs(v.currentTime - target.error.ts / 1000) < 0.1,
    );
    expect(after.currentTime).toBeCloseTo(target.error.ts / 1000, 1);
    await screenshot(page, 'player-phone');

    await context.close();
    watch.assertClean();
  });
});
