import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import {
  type DemoServer,
  launchBrowser,
  SEE_MS,
  see,
  signIn,
  startDemoServer,
  watchedContext,
} from './helpers.ts';

// The player with STORAGE=s3, in Chromium: the video streams from a presigned URL of the bucket
// (a real S3 server, s3rver), the page's CSP lets it, and seeking works (Range requests to S3).

describe('player with recordings in an S3 bucket', () => {
  let s3: TestS3Server;
  let s: DemoServer;
  let browser: Browser;
  beforeAll(async () => {
    s3 = await startS3Server();
    s = await startDemoServer(2, { env: s3.env });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.server.close();
    await s3?.stop();
  });

  it('plays and seeks a video served from the bucket, with no CSP or console error', async () => {
    const { context, watch } = await watchedContext(browser, s.server.url, { allowedOrigins: [s3.endpoint] });
    const page = await context.newPage();
    await signIn(page, s.server.url, s.owner);
    await page.goto(`${s.ws}/recordings`);
    await page.locator('a[href*="/recordings/rec_"]').first().click();
    const video = await see(page.locator('video[data-player]'));
    expect(new URL((await video.getAttribute('src'))!).origin).toBe(s3.endpoint);
    await page.waitForFunction(
      () => (document.querySelector('video[data-player]') as HTMLVideoElement).readyState >= 2,
      undefined,
      { timeout: SEE_MS },
    );
    await video.evaluate((v: HTMLVideoElement) => {
      v.currentTime = 2;
    });
    await page.waitForFunction(
      () => {
        const v = document.querySelector('video[data-player]') as HTMLVideoElement;
        return !v.seeking && Math.abs(v.currentTime - 2) < 0.5;
      },
      undefined,
      { timeout: SEE_MS },
    );
    watch.assertClean();
    await context.close();
  });
});
