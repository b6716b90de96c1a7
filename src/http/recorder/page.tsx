import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../../domain/errors.ts';
import { MAX_VIDEO_BYTES } from '../../domain/recording-resources.ts';
import type { Deps } from '../../services/deps.ts';
import { getRecorderLink, MAX_RECORDER_NOTES, type RecorderLinkView } from '../../services/recorder.ts';
import { textGuard } from '../middleware/text-guard.ts';
import { ICON_PATH, STYLESHEET_PATH } from '../views/layout.tsx';

// The public recorder page behind a link (docs/recorder.md): GET /r/{linkId}. No sign-in. The page
// says who asked, what will be captured, and asks for consent; /assets/recorder.js then records the
// screen in the browser and sends it through the upload API. Everything the page shows is rendered
// by hono/jsx, which escapes it: workspace, agent and link names are the customer-visible text an
// attacker could choose. Data for the script travels in data-* attributes, never in an inline script.

export const RECORDER_PAGE_PATH = '/r/:linkId';
export const RECORDER_SCRIPT_PATH = '/assets/recorder.js';
export const RECORDER_STYLE_PATH = '/assets/recorder.css';
export const TUS_SCRIPT_PATH = '/assets/vendor/tus.min.js';
/** Where the upload API is mounted (src/http/recorder/api.ts, docs/recorder.md). */
const RECORDER_API_BASE = '/api/v1/recorder';

/** Hosts that may be framed or talked to over plain http (local development of a customer's site). */
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

// A few layout rules of the recorder that the shared stylesheet has no place for. Served from our
// origin so the page's CSP needs no inline-style exception.
const RECORDER_CSS = `
[hidden] { display: none !important; }
main.recorder { max-width: 44rem; }
.recorder ul.captured { margin: 0 0 1rem; padding-left: 1.25rem; }
.recorder ul.captured li { margin: 0 0 0.4rem; }
.recorder .subject { overflow-wrap: anywhere; }
.recorder video { display: block; width: 100%; max-height: 60vh; margin: 0 0 1rem; background: #000; border-radius: 8px; }
.recorder .timer { font-size: 2rem; font-weight: 700; font-variant-numeric: tabular-nums; margin: 0 0 1rem; }
.recorder .timer .live { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.5rem; border-radius: 50%; background: var(--danger); vertical-align: middle; }
.recorder progress { display: block; width: 100%; height: 1.25rem; margin: 0 0 0.5rem; }
.recorder textarea { font-family: inherit; font-size: 1rem; min-height: 6rem; }
.recorder .actions { flex-wrap: wrap; }
.recorder input[type="file"] { display: block; margin: 0 0 1rem; max-width: 100%; }
.recorder .checkbox input { flex: none; }
/* Headings take focus when a step changes (for screen readers); they are not controls. */
.recorder h1:focus { outline: none; }
`;

/** A same-origin asset served with a content hash: versioned URLs are cached for good, others revalidate. */
interface Asset {
  body: string;
  type: string;
  etag: string;
  version: string;
}

function asset(body: string, type: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url');
  return { body, type, etag: `"${hash.slice(0, 27)}"`, version: hash.slice(0, 12) };
}

let cachedAssets: { script: Asset; style: Asset; tus: Asset } | undefined;

/** The recorder's script, stylesheet and the tus-js-client browser bundle, read once per process. */
function recorderAssets() {
  if (!cachedAssets) {
    const script = readFileSync(new URL('./recorder.js', import.meta.url), 'utf8');
    const tusFile = createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js');
    // The bundle ends with a sourceMappingURL to a map we do not serve: drop it, so no devtools 404s.
    const tus = readFileSync(tusFile, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    cachedAssets = {
      script: asset(script, 'text/javascript; charset=utf-8'),
      style: asset(RECORDER_CSS, 'text/css; charset=utf-8'),
      tus: asset(tus, 'text/javascript; charset=utf-8'),
    };
  }
  return cachedAssets;
}

function versioned(path: string, a: Asset): string {
  return `${path}?v=${a.version}`;
}

function serveAsset(c: Context, a: Asset): Response {
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('ETag', a.etag);
  // The page links each asset with ?v=<content hash>: that URL's content never changes. An
  // unversioned (or stale-versioned) request revalidates, so a deploy is picked up at once.
  c.header(
    'Cache-Control',
    c.req.query('v') === a.version ? 'public, max-age=31536000, immutable' : 'public, no-cache',
  );
  if (c.req.header('if-none-match') === a.etag) return c.body(null, 304);
  return c.body(a.body, 200, { 'Content-Type': a.type });
}

/** `https://host` for each verified host (and `http://host` for loopback ones); hosts are host[:port]. */
export function frameAncestorSources(hosts: readonly string[]): string[] {
  const sources: string[] = [];
  for (const host of hosts) {
    // Stored hosts are normalised already; anything else could break out of the header.
    if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(host)) continue;
    sources.push(`https://${host}`);
    const hostname = host.replace(/:\d+$/, '').toLowerCase();
    if (LOOPBACK_HOSTNAMES.has(hostname)) sources.push(`http://${host}`);
  }
  return sources;
}

/**
 * The recorder page's Content-Security-Policy: our own script, styles and API; recorded media and
 * thumbnails as blob:/data: URLs; nothing from any other origin. Framing is refused unless the page
 * was opened for the embed script's iframe mode (`?embed=1`), and then only by the workspace's
 * verified sites (docs/recorder.md).
 */
export function recorderContentSecurityPolicy(frameAncestors: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors.length ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

function setRecorderHeaders(c: Context, frameAncestors: readonly string[]): void {
  c.header('Content-Security-Policy', recorderContentSecurityPolicy(frameAncestors));
  // X-Frame-Options has no allow-list: send DENY only when nothing may frame the page (S27).
  if (frameAncestors.length === 0) c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Permissions-Policy', 'display-capture=(self), microphone=(self), geolocation=()');
  c.header('Cache-Control', 'no-store');
}

function RecorderDocument(props: { title: string; children?: unknown; scripts?: boolean }) {
  const a = recorderAssets();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · Userplane`}</title>
        <link rel="icon" type="image/svg+xml" href={ICON_PATH} />
        <link rel="stylesheet" href={STYLESHEET_PATH} />
        <link rel="stylesheet" href={versioned(RECORDER_STYLE_PATH, a.style)} />
        {props.scripts ? <script src={versioned(TUS_SCRIPT_PATH, a.tus)} defer /> : null}
        {props.scripts ? <script src={versioned(RECORDER_SCRIPT_PATH, a.script)} defer /> : null}
      </head>
      <body>
        <header class="site">
          <span class="brand">Userplane</span>
        </header>
        <main class="recorder">{props.children}</main>
      </body>
    </html>
  );
}

function formatLimit(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const m = `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return rest ? `${m} ${rest} second${rest === 1 ? '' : 's'}` : m;
}

/** The data the script reads from the root element. */
function rootData(view: RecorderLinkView) {
  return {
    'data-link-id': view.linkId,
    'data-state': view.state,
    'data-api-base': RECORDER_API_BASE,
    'data-min-duration-ms': String(view.minDurationMs),
    'data-max-duration-ms': String(view.maxDurationMs),
    'data-max-video-bytes': String(MAX_VIDEO_BYTES),
    'data-max-notes': String(MAX_RECORDER_NOTES),
    'data-verified-hosts': JSON.stringify(view.verifiedHosts),
  };
}

/** Status messages (polite) and errors (assertive) the script writes with textContent. */
function LiveRegions() {
  return (
    <>
      <p id="rec-status" class="muted" role="status" aria-live="polite" />
      <p id="rec-error" class="error" role="alert" hidden />
    </>
  );
}

/** Offered by the script when this browser holds an unfinished upload for the link. */
function ResumeSection(props: { canDiscard: boolean }) {
  return (
    <section id="rec-resume" class="card" aria-labelledby="rec-resume-title" hidden>
      <h1 id="rec-resume-title">Your upload was not finished</h1>
      <p>
        This browser still has the recording you started sending. Resume the upload to send it; it continues
        where it stopped.
      </p>
      <div class="actions">
        {props.canDiscard ? (
          <button type="button" id="rec-discard" class="secondary">
            Discard it and record a new one
          </button>
        ) : null}
        <button type="button" id="rec-resume-button">
          Resume your upload
        </button>
      </div>
    </section>
  );
}

/** The upload's progress, with a Try again button the script shows after an error. */
function UploadSection() {
  return (
    <section id="rec-upload" class="card" aria-labelledby="rec-upload-title" hidden>
      <h1 id="rec-upload-title">Sending your recording…</h1>
      <label for="rec-progress">Upload progress</label>
      <progress id="rec-progress" max={100} value={0} />
      <p id="rec-percent" class="muted">
        0 %
      </p>
      <p class="muted">Keep this page open until it says Sent.</p>
      <div class="actions">
        <button type="button" id="rec-retry" hidden>
          Try again
        </button>
      </div>
    </section>
  );
}

/** What the customer sees once the recording is ready for the team. */
function DoneSection(props: { view: RecorderLinkView }) {
  return (
    <section id="rec-done" class="card" aria-labelledby="rec-done-title" hidden>
      <h1 id="rec-done-title">Sent</h1>
      <p class="subject">
        {`Sent. ${props.view.agentName} at ${props.view.workspaceName} can watch it now. You can close this window.`}
      </p>
    </section>
  );
}

/** The recorder for an open link: consent, recording, preview, upload, done (one shown at a time). */
function RecorderPage(props: { view: RecorderLinkView }) {
  const { view } = props;
  const who = `${view.agentName} at ${view.workspaceName}`;
  return (
    <RecorderDocument title={`Record your screen for ${view.workspaceName}`} scripts>
      <div id="recorder" {...rootData(view)}>
        <ResumeSection canDiscard />

        <section id="rec-intro" class="card" aria-labelledby="rec-intro-title">
          <h1 id="rec-intro-title">Record your screen</h1>
          <p class="subject">{`${who} asked you to record your screen.`}</p>
          {view.linkTitle ? (
            <p class="subject">
              <strong>About:</strong> {view.linkTitle}
            </p>
          ) : null}
          <h2>What will be captured</h2>
          <ul class="captured">
            <li>
              <strong>Your screen</strong>, or only the window or browser tab you pick when your browser asks
              what to share.
            </li>
            <li>
              <strong>Your microphone</strong>, only if you turn it on below.
            </li>
            <li>
              <strong>From the site you came from</strong>, only where that site runs our script: its console
              messages, its network requests, and your clicks and inputs there. These are masked: passwords,
              the values you type into fields, and secrets such as tokens and keys are not captured.
            </li>
            <li>Your browser, operating system and screen size, and any notes you write before sending.</li>
          </ul>
          <p class="muted">
            {`Recordings can be ${formatLimit(view.minDurationMs)} to ${formatLimit(view.maxDurationMs)} long. Nothing is sent until you press Send.`}
          </p>
          <noscript>
            <p class="warning">This page needs JavaScript to record your screen. Turn it on and reload.</p>
          </noscript>
          <div class="checkbox">
            <input type="checkbox" id="rec-consent" name="consent" />
            <label for="rec-consent">{`I agree to record and send this to ${who}.`}</label>
          </div>
          <div id="rec-screen-controls">
            <div class="checkbox">
              <input type="checkbox" id="rec-mic" name="microphone" />
              <label for="rec-mic">Include my microphone</label>
            </div>
            <div class="actions">
              <button type="button" id="rec-start" disabled>
                Start recording
              </button>
            </div>
          </div>
          <div id="rec-file-controls" hidden>
            <p>
              This browser cannot record the screen. You can send a video you already recorded instead (WebM
              or MP4).
            </p>
            <label for="rec-file">Video to send</label>
            <input type="file" id="rec-file" accept="video/webm,video/mp4" disabled />
          </div>
        </section>

        <section id="rec-recording" class="card" aria-labelledby="rec-recording-title" hidden>
          <h1 id="rec-recording-title">Recording…</h1>
          <p class="timer">
            <span class="live" aria-hidden="true" />
            <span id="rec-timer" role="timer" aria-label="Recording time">
              00:00
            </span>
          </p>
          <p class="muted">
            Do what you want to show, then press Stop. Recording stops by itself at the limit.
          </p>
          <div class="actions">
            <button type="button" id="rec-stop" class="danger">
              Stop recording
            </button>
          </div>
        </section>

        <section id="rec-preview" class="card" aria-labelledby="rec-preview-title" hidden>
          <h1 id="rec-preview-title">Check your recording</h1>
          {/* biome-ignore lint/a11y/useMediaCaption: a screen recording the customer just made has no captions */}
          <video id="rec-video" controls playsinline aria-label="Your recording" />
          <p id="rec-length" class="muted" />
          <p id="rec-too-short" class="warning" hidden />
          <label for="rec-notes">Notes for the team (optional)</label>
          <textarea
            id="rec-notes"
            name="notes"
            rows={4}
            maxlength={MAX_RECORDER_NOTES}
            aria-describedby="rec-notes-hint"
          />
          <p id="rec-notes-hint" class="hint">
            {`What were you trying to do, and what went wrong? Up to ${MAX_RECORDER_NOTES} characters.`}
          </p>
          <div class="actions">
            <button type="button" id="rec-again" class="secondary">
              Record again
            </button>
            <button type="button" id="rec-submit">
              Send recording
            </button>
          </div>
        </section>

        <UploadSection />

        <DoneSection view={view} />

        <LiveRegions />
      </div>
    </RecorderDocument>
  );
}

/** A page for a link that cannot take a recording; `resumable` keeps the script for an unfinished upload. */
function StatePage(props: { title: string; message: string; view?: RecorderLinkView; resumable?: boolean }) {
  const card = (
    <section id="rec-state" class="card" aria-labelledby="rec-state-title">
      <h1 id="rec-state-title">{props.title}</h1>
      <p class="subject">{props.message}</p>
    </section>
  );
  if (!props.resumable || !props.view) {
    return <RecorderDocument title={props.title}>{card}</RecorderDocument>;
  }
  // A single-use link is "recorded" as soon as its recording has started: a reload in the middle of
  // the upload lands here, and the script offers to resume what this browser kept.
  return (
    <RecorderDocument title={props.title} scripts>
      <div id="recorder" {...rootData(props.view)}>
        <ResumeSection canDiscard={false} />
        {card}
        <UploadSection />
        <DoneSection view={props.view} />
        <LiveRegions />
      </div>
    </RecorderDocument>
  );
}

function send(
  c: Context,
  element: unknown,
  status: ContentfulStatusCode,
  frameAncestors: string[],
): Response {
  setRecorderHeaders(c, frameAncestors);
  return c.html(`<!DOCTYPE html>${String(element)}`, status);
}

/** GET /r/:linkId (the recorder page) and its assets. */
export function createRecorderPage(deps: Deps): Hono {
  const assets = recorderAssets();
  const app = new Hono();

  app.get(RECORDER_SCRIPT_PATH, (c) => serveAsset(c, assets.script));
  app.get(RECORDER_STYLE_PATH, (c) => serveAsset(c, assets.style));
  app.get(TUS_SCRIPT_PATH, (c) => serveAsset(c, assets.tus));

  // The link id is looked up: NUL, controls and unpaired surrogates are a 400 first (S38).
  app.get(RECORDER_PAGE_PATH, textGuard(), async (c) => {
    let view: RecorderLinkView;
    try {
      view = await getRecorderLink(deps, c.req.param('linkId'));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      const page = (
        <StatePage
          title="Recording link not found"
          message="This recording link does not exist. Check that you opened the whole address, or ask the team that sent it for a new link."
        />
      );
      return send(c, page, 404, []);
    }
    // The embed script's iframe mode: only the workspace's verified sites may frame the recorder.
    const frameAncestors = c.req.query('embed') === '1' ? frameAncestorSources(view.verifiedHosts) : [];
    const who = `${view.agentName} at ${view.workspaceName}`;
    switch (view.state) {
      case 'open':
        return send(c, <RecorderPage view={view} />, 200, frameAncestors);
      case 'recorded':
        return send(
          c,
          <StatePage
            title="This link was already used"
            message={`This link was already used to send a recording. If you want to send another one, ask ${who} for a new link.`}
            view={view}
            resumable
          />,
          409,
          frameAncestors,
        );
      case 'gone':
        return send(
          c,
          <StatePage
            title="This link is no longer available"
            message="This recording link has been deleted. If you still want to send a recording, ask the team that sent it for a new link."
          />,
          410,
          frameAncestors,
        );
      case 'domain_unverified':
        return send(
          c,
          <StatePage
            title="This link cannot be used right now"
            message={`The site this link belongs to is no longer verified by ${view.workspaceName}, so recordings cannot be sent through it. Ask ${who} for a new link.`}
          />,
          403,
          frameAncestors,
        );
      default:
        throw new Error(`unknown link state ${String(view.state satisfies never)}`);
    }
  });

  return app;
}
