// The recorder page's script (served at /assets/recorder.js; the page is src/http/recorder/page.tsx,
// the protocol docs/recorder.md). It records the screen in the browser, lets the customer check the
// recording, and sends it through the upload API: start → resumable tus upload of the video →
// thumbnail → (the embed script attaches its logs) → finish. Plain modern JS, no build step; the
// only dependency is window.tus from the tus-js-client bundle loaded before it. Every text it puts
// on the page goes through textContent: names and messages are never parsed as HTML.
(() => {
  const root = document.getElementById('recorder');
  if (!root) return;

  const data = {
    linkId: root.dataset.linkId || '',
    apiBase: root.dataset.apiBase || '/api/v1/recorder',
    minMs: Number(root.dataset.minDurationMs) || 1000,
    maxMs: Number(root.dataset.maxDurationMs) || 180000,
    maxBytes: Number(root.dataset.maxVideoBytes) || 500 * 1024 * 1024,
    maxNotes: Number(root.dataset.maxNotes) || 5000,
    hosts: parseHosts(root.dataset.verifiedHosts),
  };
  const apiBaseUrl = new URL(data.apiBase, location.href).href.replace(/\/+$/, '');

  /** How long the page waits for the embed script's `userplane:attached` (docs/recorder.md). */
  const ATTACH_WAIT_MS = 15000;
  const CHUNK_SIZE = 5 * 1024 * 1024;
  const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
  const TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4'];

  function parseHosts(text) {
    try {
      const hosts = JSON.parse(text || '[]');
      return Array.isArray(hosts)
        ? hosts.filter((h) => typeof h === 'string').map((h) => h.toLowerCase())
        : [];
    } catch {
      return [];
    }
  }

  const $ = (id) => document.getElementById(id);
  const el = {
    status: $('rec-status'),
    error: $('rec-error'),
    consent: $('rec-consent'),
    mic: $('rec-mic'),
    start: $('rec-start'),
    screenControls: $('rec-screen-controls'),
    fileControls: $('rec-file-controls'),
    file: $('rec-file'),
    timer: $('rec-timer'),
    stop: $('rec-stop'),
    video: $('rec-video'),
    length: $('rec-length'),
    tooShort: $('rec-too-short'),
    notes: $('rec-notes'),
    again: $('rec-again'),
    submit: $('rec-submit'),
    progress: $('rec-progress'),
    percent: $('rec-percent'),
    retry: $('rec-retry'),
    resume: $('rec-resume-button'),
    discard: $('rec-discard'),
    stateCard: $('rec-state'),
  };
  const SECTIONS = ['rec-resume', 'rec-intro', 'rec-recording', 'rec-preview', 'rec-upload', 'rec-done'];

  /** Shows one step of the page and hides the others (and the server's state message). */
  function show(id) {
    for (const name of SECTIONS) {
      const section = $(name);
      if (section) section.hidden = name !== id;
    }
    if (el.stateCard) el.stateCard.hidden = id !== null;
    const heading = id ? $(id)?.querySelector('h1') : null;
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function say(text) {
    if (el.status) el.status.textContent = text || '';
  }

  function fail(text) {
    if (!el.error) return;
    el.error.textContent = text || '';
    el.error.hidden = !text;
  }

  function clock(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const m = Math.floor(total / 60);
    const s = total % 60;
    return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  }

  function seconds(ms) {
    const n = Math.ceil(ms / 1000);
    return `${n} second${n === 1 ? '' : 's'}`;
  }

  function baseType(type) {
    return String(type || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
  }

  // ---- The API ------------------------------------------------------------------------------

  /** An error answer of the API: its code and the message to show. */
  class ApiProblem extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  /** A JSON call to the upload API; an error answer ({error, message}) throws its message. */
  async function api(method, path, options) {
    const opts = options || {};
    const headers = {};
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType || 'application/octet-stream';
      body = opts.body;
    }
    let res;
    try {
      res = await fetch(apiBaseUrl + path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
    } catch {
      throw new ApiProblem('NETWORK', 'Could not reach the server. Check your connection, then try again.');
    }
    let answer = null;
    try {
      answer = await res.json();
    } catch {
      answer = null;
    }
    if (!res.ok) {
      const message =
        answer && typeof answer.message === 'string'
          ? answer.message
          : `The server answered ${res.status}. Please try again.`;
      throw new ApiProblem(
        answer && typeof answer.error === 'string' ? answer.error : `HTTP_${res.status}`,
        message,
      );
    }
    return answer && typeof answer === 'object' && 'data' in answer ? answer.data : answer;
  }

  // ---- The embed script (postMessage, docs/recorder.md) --------------------------------------

  const peer = window.opener || (window.parent !== window ? window.parent : null);
  /** The verified origin whose `userplane:hello` was accepted; the page posts only to it. */
  let peerOrigin = null;
  /** Resolves with the `userplane:attached` answer for the recording being sent. */
  let attachWaiter = null;

  function originAllowed(origin) {
    let url;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return false;
    return data.hosts.includes(url.host.toLowerCase());
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!peer || event.source !== peer) return;
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    if (message.type === 'userplane:hello') {
      if (peerOrigin === null && originAllowed(event.origin)) peerOrigin = event.origin;
      return;
    }
    if (peerOrigin === null || event.origin !== peerOrigin) return;
    if (
      message.type === 'userplane:attached' &&
      attachWaiter &&
      message.recordingId === attachWaiter.recordingId
    ) {
      attachWaiter.resolve({ ok: message.ok === true, error: message.error });
    }
  });

  function post(message) {
    if (!peer || peerOrigin === null) return;
    try {
      peer.postMessage(message, peerOrigin);
    } catch {
      // The opener went away; the recording does not depend on it.
    }
  }

  /** Tells the embed script the recording exists, so it can upload its logs from its own origin. */
  function attach(job) {
    attachWaiter = null;
    if (!peer || peerOrigin === null) return;
    let resolve;
    const promise = new Promise((r) => {
      resolve = r;
    });
    attachWaiter = { recordingId: job.recordingId, resolve, promise };
    post({
      type: 'userplane:attach',
      recordingId: job.recordingId,
      uploadToken: job.uploadToken,
      apiBase: apiBaseUrl,
      startedAt: job.startedAt,
      stoppedAt: job.stoppedAt,
    });
  }

  /** Waits at most ATTACH_WAIT_MS for the embed script's answer; the recording is sent either way. */
  function attached() {
    if (!attachWaiter) return Promise.resolve(null);
    const waiter = attachWaiter;
    return Promise.race([waiter.promise, new Promise((r) => setTimeout(() => r(null), ATTACH_WAIT_MS))]);
  }

  if (peer) {
    try {
      peer.postMessage({ type: 'userplane:ready' }, '*');
    } catch {
      // No opener to talk to.
    }
  }

  // ---- Unfinished uploads, kept in IndexedDB (keyed by link) so a reload can resume ----------

  const DB_NAME = 'userplane-recorder';
  const STORE = 'uploads';

  function openDb() {
    return new Promise((resolve, reject) => {
      if (!window.indexedDB) {
        reject(new Error('no IndexedDB'));
        return;
      }
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function withStore(mode, action) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = action(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request ? request.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const saveJob = (job) => withStore('readwrite', (store) => store.put(job, job.linkId));
  const loadJob = (linkId) => withStore('readonly', (store) => store.get(linkId));
  const deleteJob = (linkId) => withStore('readwrite', (store) => store.delete(linkId));

  // ---- Recording ----------------------------------------------------------------------------

  /** The recording to send: {blob, type, durationMs, startedAt, stoppedAt, source}. */
  let recording = null;
  let previewUrl = null;
  let session = null;

  function chooseType() {
    if (!window.MediaRecorder || typeof MediaRecorder.isTypeSupported !== 'function') return '';
    return TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || '';
  }

  function updateStartEnabled() {
    const ok = Boolean(el.consent?.checked);
    if (el.start) el.start.disabled = !ok;
    if (el.file) el.file.disabled = !ok;
  }

  async function startRecording() {
    fail('');
    say('Choose what to share in the window your browser opens.');
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      say('');
      fail(
        error && error.name === 'NotAllowedError'
          ? 'Screen sharing was not allowed, so nothing was recorded. Press Start recording to try again.'
          : `Your screen could not be shared${error?.message ? `: ${error.message}` : ''}.`,
      );
      return;
    }
    let mic = null;
    if (el.mic?.checked) {
      try {
        mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      } catch {
        fail('Your microphone could not be used; recording without sound.');
      }
    }
    // The screen's video and, when asked for, the microphone's sound in one stream.
    const tracks = display.getVideoTracks().concat(mic ? mic.getAudioTracks() : []);
    const stream = new MediaStream(tracks);
    const chosen = chooseType();
    let recorder;
    try {
      recorder = chosen ? new MediaRecorder(stream, { mimeType: chosen }) : new MediaRecorder(stream);
    } catch (error) {
      for (const track of display.getTracks().concat(mic ? mic.getTracks() : [])) track.stop();
      fail(`This browser cannot record the screen${error?.message ? `: ${error.message}` : ''}.`);
      return;
    }
    const chunks = [];
    const current = {
      recorder,
      chunks,
      startedAt: 0,
      timer: 0,
      limit: 0,
      stopTracks: () => {
        for (const track of display.getTracks().concat(mic ? mic.getTracks() : [])) track.stop();
      },
    };
    session = current;
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data && event.data.size > 0) chunks.push(event.data);
    });
    recorder.addEventListener('stop', () => finishRecording(current, chosen));
    // Sharing ended from the browser's own "Stop sharing" bar.
    const screenTrack = display.getVideoTracks()[0];
    if (screenTrack) screenTrack.addEventListener('ended', () => stopRecording());

    recorder.start(1000);
    current.startedAt = Date.now();
    post({ type: 'userplane:recording-started', startedAt: current.startedAt });
    const tick = () => {
      if (el.timer) el.timer.textContent = `${clock(Date.now() - current.startedAt)} / ${clock(data.maxMs)}`;
    };
    tick();
    current.timer = setInterval(tick, 250);
    current.limit = setTimeout(() => {
      say(`The recording reached its limit of ${clock(data.maxMs)} and stopped.`);
      stopRecording();
    }, data.maxMs);
    say('Recording. Press Stop recording when you are done.');
    show('rec-recording');
  }

  function stopRecording() {
    const current = session;
    if (!current || current.stoppedAt) return;
    current.stoppedAt = Date.now();
    clearInterval(current.timer);
    clearTimeout(current.limit);
    if (current.recorder.state !== 'inactive') current.recorder.stop();
    else finishRecording(current, '');
    current.stopTracks();
  }

  function finishRecording(current, chosen) {
    if (current.done) return;
    current.done = true;
    if (!current.stoppedAt) current.stoppedAt = Date.now();
    clearInterval(current.timer);
    clearTimeout(current.limit);
    current.stopTracks();
    if (session === current) session = null;
    post({ type: 'userplane:recording-stopped', stoppedAt: current.stoppedAt });
    const type = current.recorder.mimeType || chosen || 'video/webm';
    const blob = new Blob(current.chunks, { type });
    const durationMs = Math.min(data.maxMs, Math.max(0, current.stoppedAt - current.startedAt));
    if (blob.size === 0) {
      show('rec-intro');
      fail('Nothing was recorded. Press Start recording to try again.');
      return;
    }
    showPreview({
      blob,
      type,
      durationMs,
      startedAt: current.startedAt,
      stoppedAt: current.stoppedAt,
      source: 'screen',
    });
  }

  function showPreview(next, note) {
    recording = next;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(next.blob);
    if (el.video) el.video.src = previewUrl;
    if (el.length) {
      el.length.textContent = `Length: ${clock(next.durationMs)}${note ? ` (${note})` : ''}`;
    }
    const tooShort = next.durationMs < data.minMs;
    if (el.tooShort) {
      el.tooShort.hidden = !tooShort;
      el.tooShort.textContent = tooShort
        ? `This recording is shorter than ${seconds(data.minMs)}, too short to send. Record again.`
        : '';
    }
    if (el.submit) el.submit.disabled = tooShort;
    if (el.again) {
      el.again.textContent = next.source === 'file' ? 'Choose another video' : 'Record again';
    }
    say(tooShort ? '' : 'Recording finished. Watch it, add a note if you like, then send it.');
    show('rec-preview');
  }

  // ---- A video file instead (browsers without screen capture, e.g. phones) --------------------

  /** The video's length from its metadata; Infinity (a WebM without duration) is resolved by seeking to its end. */
  function fileDuration(file) {
    return new Promise((resolve) => {
      const probe = document.createElement('video');
      probe.preload = 'metadata';
      probe.muted = true;
      const url = URL.createObjectURL(file);
      let settled = false;
      const done = (value) => {
        if (settled) return;
        settled = true;
        URL.revokeObjectURL(url);
        probe.removeAttribute('src');
        probe.load();
        resolve(value);
      };
      setTimeout(() => done(Number.NaN), 10000);
      probe.addEventListener('error', () => done(Number.NaN));
      probe.addEventListener('loadedmetadata', () => {
        if (Number.isFinite(probe.duration)) {
          done(probe.duration * 1000);
          return;
        }
        probe.addEventListener('durationchange', () => {
          if (Number.isFinite(probe.duration)) done(probe.duration * 1000);
        });
        probe.currentTime = Number.MAX_SAFE_INTEGER;
      });
      probe.src = url;
    });
  }

  async function pickFile() {
    fail('');
    const file = el.file?.files?.[0];
    if (!file) return;
    let type = baseType(file.type);
    if (!type) {
      if (/\.webm$/i.test(file.name)) type = 'video/webm';
      else if (/\.(mp4|m4v)$/i.test(file.name)) type = 'video/mp4';
    }
    if (type !== 'video/webm' && type !== 'video/mp4') {
      fail('This file is not a WebM or MP4 video. Choose another one.');
      return;
    }
    if (file.size < 1 || file.size > data.maxBytes) {
      fail(`This video is too large to send (the limit is ${Math.floor(data.maxBytes / 1048576)} MB).`);
      return;
    }
    say('Reading the video…');
    const measured = await fileDuration(file);
    let durationMs = Math.round(measured);
    let note = '';
    if (!Number.isFinite(measured) || measured <= 0) {
      // The length cannot be read here; the team sees the video's real length when they play it.
      durationMs = data.minMs;
      note = 'this browser could not read the length';
    }
    if (durationMs > data.maxMs) {
      say('');
      fail(`This video is ${clock(durationMs)} long; videos sent here can be at most ${clock(data.maxMs)}.`);
      return;
    }
    const now = Date.now();
    showPreview(
      { blob: file, type, durationMs, startedAt: now - durationMs, stoppedAt: now, source: 'file' },
      note,
    );
  }

  // ---- Thumbnail: one frame of the recording, drawn in the browser ---------------------------

  function makeThumbnail(blob, durationMs) {
    return new Promise((resolve) => {
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.preload = 'auto';
      const url = URL.createObjectURL(blob);
      let settled = false;
      const done = (value) => {
        if (settled) return;
        settled = true;
        URL.revokeObjectURL(url);
        video.removeAttribute('src');
        video.load();
        resolve(value);
      };
      const draw = () => {
        const width = video.videoWidth;
        const height = video.videoHeight;
        if (!width || !height) {
          done(null);
          return;
        }
        const scale = Math.min(1, 960 / width);
        const canvas = document.createElement('canvas');
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        const context = canvas.getContext('2d');
        if (!context) {
          done(null);
          return;
        }
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob((image) => done(image), 'image/jpeg', 0.8);
      };
      setTimeout(() => done(null), 8000);
      video.addEventListener('error', () => done(null));
      video.addEventListener('seeked', draw, { once: true });
      video.addEventListener(
        'loadeddata',
        () => {
          // Half a second in (past a black first frame), or the middle of a very short recording.
          video.currentTime = Math.min(0.5, durationMs / 2000);
        },
        { once: true },
      );
      video.src = url;
    });
  }

  /** Sends the thumbnail; a failure is logged to the status line only and never blocks the send. */
  async function sendThumbnail(job) {
    if (job.thumbnailSent) return;
    try {
      const image = await makeThumbnail(job.blob, job.durationMs);
      if (!image) return;
      await api('PUT', `/recordings/${encodeURIComponent(job.recordingId)}/thumbnail`, {
        token: job.uploadToken,
        body: image,
        contentType: 'image/jpeg',
      });
      job.thumbnailSent = true;
      saveJob(job).catch(() => {});
    } catch {
      // The team sees the video without a preview image.
    }
  }

  // ---- Sending ------------------------------------------------------------------------------

  function systemMeta() {
    const ua = navigator.userAgent;
    return {
      browser: browserOf(ua),
      os: osOf(ua),
      screen: { width: window.screen.width, height: window.screen.height },
      url: location.origin + location.pathname,
      userAgent: ua,
    };
  }

  function browserOf(ua) {
    const patterns = [
      ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
      ['Opera', /OPR\/([\d.]+)/],
      ['Samsung Internet', /SamsungBrowser\/([\d.]+)/],
      ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
      ['Chrome', /(?:Chrome|CriOS)\/([\d.]+)/],
      ['Safari', /Version\/([\d.]+).*Safari\//],
    ];
    for (const [name, pattern] of patterns) {
      const match = pattern.exec(ua);
      if (match) return `${name} ${match[1].split('.')[0]}`;
    }
    return 'Unknown';
  }

  function osOf(ua) {
    if (/Windows NT/.test(ua)) return 'Windows';
    if (/iPhone|iPad|iPod/.test(ua)) return 'iOS';
    if (/Mac OS X/.test(ua)) return 'macOS';
    if (/Android/.test(ua)) return 'Android';
    if (/CrOS/.test(ua)) return 'ChromeOS';
    if (/Linux/.test(ua)) return 'Linux';
    return 'Unknown';
  }

  let sending = false;

  async function submit() {
    if (!recording || sending) return;
    if (recording.durationMs < data.minMs) return;
    const notes = (el.notes?.value || '').trim();
    if (notes.length > data.maxNotes) {
      fail(`Your note is too long: at most ${data.maxNotes} characters.`);
      return;
    }
    sending = true;
    fail('');
    if (el.submit) el.submit.disabled = true;
    if (el.again) el.again.disabled = true;
    say('Starting the upload…');
    let started;
    try {
      started = await api('POST', `/links/${encodeURIComponent(data.linkId)}/recordings`, {
        json: {
          durationMs: Math.round(recording.durationMs),
          startedAt: recording.startedAt,
          notes: notes || undefined,
          systemMeta: systemMeta(),
          video: { type: recording.type, size: recording.blob.size },
        },
      });
    } catch (error) {
      sending = false;
      if (el.submit) el.submit.disabled = false;
      if (el.again) el.again.disabled = false;
      say('');
      fail(error.message);
      return;
    }
    const expiresAt =
      typeof started.uploadTokenExpiresAt === 'number'
        ? started.uploadTokenExpiresAt
        : Date.parse(started.uploadTokenExpiresAt) || Date.now() + 3600000;
    const job = {
      linkId: data.linkId,
      recordingId: started.recordingId,
      uploadToken: started.uploadToken,
      videoUploadUrl: new URL(started.videoUploadUrl, `${apiBaseUrl}/`).href,
      expiresAt,
      uploadUrl: null,
      blob: recording.blob,
      type: recording.type,
      durationMs: recording.durationMs,
      startedAt: recording.startedAt,
      stoppedAt: recording.stoppedAt,
      thumbnailSent: false,
    };
    // Kept before the first byte leaves, so a reload (or a crash) can resume the upload.
    try {
      await saveJob(job);
    } catch {
      say('This browser cannot keep the recording if the page is closed: keep it open until it says Sent.');
    }
    send(job);
  }

  let activeUpload = null;

  /** Uploads the video (resuming what the server has), then the thumbnail, then finishes. */
  function send(job) {
    fail('');
    show('rec-upload');
    setProgress(0, job.blob.size);
    attach(job);
    const thumbnail = sendThumbnail(job);
    uploadVideo(job, () => complete(job, thumbnail));
  }

  function setProgress(sent, total) {
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    if (el.progress) el.progress.value = percent;
    if (el.percent) el.percent.textContent = `${percent} %`;
  }

  function retryWith(action) {
    if (!el.retry) return;
    el.retry.hidden = false;
    el.retry.disabled = false;
    el.retry.onclick = () => {
      el.retry.hidden = true;
      fail('');
      action();
    };
  }

  function uploadError(error) {
    const response = error?.originalResponse;
    if (response) {
      try {
        const answer = JSON.parse(response.getBody());
        if (answer && typeof answer.message === 'string') return answer.message;
      } catch {
        // Not our JSON: fall through to the general message.
      }
    }
    return 'The upload was interrupted (is the connection down?). Your recording is kept in this browser: press Try again to continue where it stopped.';
  }

  function uploadVideo(job, onDone) {
    if (!window.tus?.Upload) {
      fail('The uploader could not be loaded. Reload the page to try again.');
      return;
    }
    if (el.retry) el.retry.hidden = true;
    say('Uploading your recording…');
    const filetype = baseType(job.type);
    const upload = new window.tus.Upload(job.blob, {
      endpoint: job.videoUploadUrl,
      headers: { Authorization: `Bearer ${job.uploadToken}` },
      metadata: { filetype, filename: filetype === 'video/mp4' ? 'recording.mp4' : 'recording.webm' },
      // Chunked, so a dropped connection loses at most one chunk.
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // One upload per recording: the recording id names it, whatever the blob looks like.
      fingerprint: () => Promise.resolve(`userplane-${job.recordingId}`),
      onUploadUrlAvailable: () => {
        if (upload.url && job.uploadUrl !== upload.url) {
          job.uploadUrl = upload.url;
          saveJob(job).catch(() => {});
        }
      },
      onProgress: (sent, total) => setProgress(sent, total),
      onError: (error) => {
        say('');
        fail(uploadError(error));
        // start() again continues from the server's offset (a HEAD request, then PATCH).
        retryWith(() => {
          say('Uploading your recording…');
          upload.start();
        });
      },
      onSuccess: () => {
        setProgress(job.blob.size, job.blob.size);
        onDone();
      },
    });
    activeUpload = upload;
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
        else if (job.uploadUrl) upload.options.uploadUrl = job.uploadUrl;
      })
      .catch(() => {
        if (job.uploadUrl) upload.options.uploadUrl = job.uploadUrl;
      })
      .then(() => upload.start());
  }

  async function complete(job, thumbnail) {
    say('Video uploaded. Finishing…');
    await thumbnail;
    await attached();
    try {
      await api('POST', `/recordings/${encodeURIComponent(job.recordingId)}/finish`, {
        token: job.uploadToken,
      });
    } catch (error) {
      say('');
      fail(error.message);
      if (error.code === 'VIDEO_INCOMPLETE')
        retryWith(() => uploadVideo(job, () => complete(job, Promise.resolve())));
      else if (error.code === 'NETWORK' || /^HTTP_5/.test(error.code))
        retryWith(() => complete(job, Promise.resolve()));
      return;
    }
    activeUpload = null;
    sending = false;
    await deleteJob(job.linkId).catch(() => {});
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    fail('');
    say('');
    show('rec-done');
  }

  // ---- Wiring -------------------------------------------------------------------------------

  const canRecord = Boolean(
    navigator.mediaDevices &&
      typeof navigator.mediaDevices.getDisplayMedia === 'function' &&
      window.MediaRecorder,
  );
  if (!canRecord) {
    if (el.screenControls) el.screenControls.hidden = true;
    if (el.fileControls) el.fileControls.hidden = false;
  }
  el.consent?.addEventListener('change', updateStartEnabled);
  updateStartEnabled();
  el.start?.addEventListener('click', () => {
    if (el.consent?.checked) startRecording();
  });
  el.file?.addEventListener('change', () => {
    if (el.consent?.checked) pickFile();
  });
  el.stop?.addEventListener('click', () => stopRecording());
  el.again?.addEventListener('click', () => {
    fail('');
    if (recording && recording.source === 'file') {
      if (el.file) el.file.value = '';
      show('rec-intro');
      return;
    }
    startRecording();
  });
  el.submit?.addEventListener('click', () => submit());
  if (el.notes) el.notes.maxLength = data.maxNotes;

  window.addEventListener('beforeunload', (event) => {
    if (session || activeUpload) event.preventDefault();
  });

  // An upload this browser started for the link and did not finish: offer to resume it.
  loadJob(data.linkId)
    .then((job) => {
      if (!job?.recordingId || !job.blob) return;
      if (!(job.expiresAt > Date.now() + 60000)) {
        deleteJob(data.linkId).catch(() => {});
        return;
      }
      show('rec-resume');
      el.resume?.addEventListener('click', () => {
        if (sending) return;
        sending = true;
        send(job);
      });
      el.discard?.addEventListener('click', () => {
        deleteJob(data.linkId).catch(() => {});
        try {
          for (const key of Object.keys(localStorage)) {
            if (key.startsWith(`tus::userplane-${job.recordingId}::`)) localStorage.removeItem(key);
          }
        } catch {
          // Storage blocked: nothing to clean.
        }
        show('rec-intro');
      });
    })
    .catch(() => {
      // No IndexedDB (private mode in some browsers): nothing to resume.
    });
})();
