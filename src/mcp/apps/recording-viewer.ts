// The MCP Apps view of userplane_show_recording (SEP-1865, "MCP Apps", 2026-01-26): one
// self-contained HTML document the host renders in a sandboxed iframe. It speaks JSON-RPC over
// postMessage: `ui/initialize` → `ui/notifications/initialized`, then receives the tool's result in
// `ui/notifications/tool-result` and renders the video with console, network and actions panels kept
// in sync with playback: the entry at the current time is highlighted, clicking an entry seeks the
// video. Everything is inline (the host's default CSP allows inline script and style); the only
// outside resource is our signed video/thumbnail URL, declared in the resource's `_meta.ui.csp`.
// Data is only ever written with textContent, never parsed as HTML.

/** The viewer's resource URI, referenced from the tool's `_meta.ui.resourceUri`. */
export const RECORDING_VIEWER_URI = 'ui://userplane/recording-viewer';
/** MCP Apps HTML profile (SEP-1865 "UI Resource Format"). */
export const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: var(--color-background-primary, Canvas);
  --bg2: var(--color-background-secondary, rgba(127,127,127,.08));
  --fg: var(--color-text-primary, CanvasText);
  --fg2: var(--color-text-secondary, rgba(127,127,127,1));
  --line: var(--color-border-primary, rgba(127,127,127,.3));
  --accent: var(--color-ring-primary, #3b6ef5);
  --danger: var(--color-text-danger, #d0342c);
  --warn: var(--color-text-warning, #b7791f);
  --radius: var(--border-radius-md, 8px);
  font-family: var(--font-sans, system-ui, sans-serif);
  font-size: var(--font-text-sm-size, 14px);
}
* { box-sizing: border-box; }
body { margin: 0; padding: 12px; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 8px; align-items: baseline; justify-content: space-between; flex-wrap: wrap; }
h1 { font-size: var(--font-heading-sm-size, 16px); margin: 0; }
.meta { color: var(--fg2); margin: 4px 0 8px; }
button { font: inherit; color: inherit; }
.open { background: none; border: 1px solid var(--line); border-radius: var(--radius); padding: 4px 10px; cursor: pointer; }
.layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; }
@media (max-width: 720px) { .layout { grid-template-columns: minmax(0, 1fr); } }
video { width: 100%; max-height: 60vh; background: #000; border-radius: var(--radius); display: block; }
.notice { padding: 12px; border: 1px dashed var(--line); border-radius: var(--radius); color: var(--fg2); }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); }
.tabs button { background: none; border: 0; border-bottom: 2px solid transparent; padding: 6px 10px; cursor: pointer; }
.tabs button[aria-selected="true"] { border-bottom-color: var(--accent); font-weight: var(--font-weight-semibold, 600); }
.panel { list-style: none; margin: 0; padding: 0; height: 50vh; min-height: 200px; overflow: auto; position: relative;
  font-family: var(--font-mono, ui-monospace, monospace); font-size: var(--font-text-xs-size, 12px); }
.panel[hidden] { display: none; }
.panel li button { display: grid; grid-template-columns: 4.5em minmax(0, 1fr); gap: 8px; width: 100%; text-align: left;
  background: none; border: 0; border-bottom: 1px solid var(--line); padding: 4px 6px; cursor: pointer; }
.panel li button:hover { background: var(--bg2); }
.panel li.current button { background: var(--bg2); box-shadow: inset 3px 0 0 var(--accent); }
.panel .t { color: var(--fg2); }
.panel .x { overflow-wrap: anywhere; white-space: pre-wrap; }
.error .x, .bad .x { color: var(--danger); }
.warn .x { color: var(--warn); }
.empty { padding: 12px; color: var(--fg2); font-family: var(--font-sans, system-ui, sans-serif); }
`;

const SCRIPT = `
(function () {
  'use strict';
  var PANELS = ['console', 'network', 'actions'];
  var LABELS = { console: 'Console', network: 'Network', actions: 'Actions' };
  var data = null;
  var rows = { console: [], network: [], actions: [] };
  var current = { console: -1, network: -1, actions: -1 };
  var tab = 'console';
  var nextId = 1;
  var pending = {};
  var refreshedVideo = false;
  var $ = function (id) { return document.getElementById(id); };

  function post(message) { window.parent.postMessage(message, '*'); }
  function request(method, params) {
    var id = nextId++;
    post({ jsonrpc: '2.0', id: id, method: method, params: params });
    return new Promise(function (resolve, reject) { pending[id] = { resolve: resolve, reject: reject }; });
  }
  function notify(method, params) { post({ jsonrpc: '2.0', method: method, params: params }); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clock(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0') + '.' + String(Math.floor((ms % 1000) / 100));
  }
  function safeUrl(url) { return typeof url === 'string' && /^https?:\\/\\//i.test(url) ? url : null; }
  function showNotice(text) {
    var main = $('main');
    main.replaceChildren(el('p', 'notice', text));
  }

  function describe(kind, e) {
    if (kind === 'console') return { cls: e.level, text: '[' + e.level + '] ' + e.message + (e.stack ? '\\n' + e.stack : '') };
    if (kind === 'network') {
      var bad = e.status === 0 || e.status >= 400;
      return { cls: bad ? 'bad' : '', text: e.method + ' ' + e.url + ' → ' + (e.status || 'failed') + ' (' + Math.round(e.durationMs) + ' ms)' };
    }
    var what = e.selector || e.url || (e.x !== undefined ? 'at ' + e.x + ',' + e.y : '');
    return { cls: '', text: e.type + ' ' + what + (e.value !== undefined ? ' = ' + JSON.stringify(e.value) : '') };
  }

  function seek(ts) {
    var video = $('video');
    if (!video) return;
    video.currentTime = ts / 1000;
    sync();
  }

  function buildPanel(kind) {
    var section = data[kind] || { captured: false, entries: [], total: 0 };
    var list = $('panel-' + kind);
    list.replaceChildren();
    rows[kind] = [];
    if (!section.captured || section.entries.length === 0) {
      list.appendChild(el('li', 'empty', section.captured ? 'No entries.' : 'Not captured for this recording.'));
      return;
    }
    section.entries.forEach(function (entry) {
      var d = describe(kind, entry);
      var li = el('li', d.cls);
      var button = el('button');
      button.type = 'button';
      button.title = 'Jump the video to ' + clock(entry.ts);
      button.appendChild(el('span', 't', clock(entry.ts)));
      button.appendChild(el('span', 'x', d.text));
      button.addEventListener('click', function () { seek(entry.ts); });
      li.appendChild(button);
      list.appendChild(li);
      rows[kind].push({ ts: entry.ts, li: li });
    });
    if (section.total > section.entries.length) {
      list.appendChild(el('li', 'empty', 'Showing the first ' + section.entries.length + ' of ' + section.total + ' entries; the dashboard player has them all.'));
    }
  }

  function selectTab(kind) {
    tab = kind;
    PANELS.forEach(function (k) {
      $('tab-' + k).setAttribute('aria-selected', String(k === kind));
      $('panel-' + k).hidden = k !== kind;
    });
    reveal(kind);
  }

  function reveal(kind) {
    var index = current[kind];
    var list = $('panel-' + kind);
    if (index < 0 || list.hidden) return;
    var li = rows[kind][index].li;
    if (li.offsetTop < list.scrollTop || li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = li.offsetTop - list.clientHeight / 2;
    }
  }

  // The entry "at" the current time is the last one whose ts is not after it (binary search: rows are sorted).
  function indexAt(list, ms) {
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid].ts <= ms) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function sync() {
    var video = $('video');
    if (!video) return;
    var ms = video.currentTime * 1000;
    PANELS.forEach(function (kind) {
      var index = indexAt(rows[kind], ms);
      if (index === current[kind]) return;
      if (current[kind] >= 0) rows[kind][current[kind]].li.classList.remove('current');
      current[kind] = index;
      if (index >= 0) {
        rows[kind][index].li.classList.add('current');
        if (kind === tab) reveal(kind);
      }
    });
  }

  function refreshVideo(video) {
    // Signed URLs live a few minutes; ask the server (through the host) for a fresh one once.
    if (refreshedVideo || !data) return;
    refreshedVideo = true;
    var at = video.currentTime;
    request('tools/call', { name: 'userplane_get_rec_video', arguments: { workspaceId: data.workspaceId, recordingId: data.recording.recordingId } })
      .then(function (result) {
        var url = safeUrl(result && result.structuredContent && result.structuredContent.url);
        if (!url) throw new Error('no url');
        video.src = url;
        video.currentTime = at;
      })
      .catch(function () { $('video-note').textContent = 'The video link has expired. Open the recording in the dashboard to watch it.'; });
  }

  function render(result) {
    if (!result || result.isError || !result.structuredContent) {
      var text = result && result.content && result.content[0] && result.content[0].text;
      showNotice(text || 'This recording could not be shown.');
      return;
    }
    data = result.structuredContent;
    var rec = data.recording;
    $('title').textContent = rec.linkTitle || 'Recording ' + rec.recordingId;
    $('meta').textContent = [rec.domainUrl, rec.projectTitle, 'by ' + rec.creatorName, new Date(rec.createdAt).toLocaleString()].join(' · ');
    var open = $('open');
    open.hidden = !safeUrl(rec.playerUrl);
    var main = $('main');
    var layout = el('div', 'layout');
    var left = el('div');
    var url = safeUrl(data.video && data.video.url);
    if (url) {
      var video = el('video');
      video.id = 'video';
      video.controls = true;
      video.preload = 'metadata';
      video.setAttribute('playsinline', '');
      var poster = safeUrl(data.thumbnailUrl);
      if (poster) video.poster = poster;
      video.src = url;
      ['timeupdate', 'seeked', 'loadedmetadata'].forEach(function (name) { video.addEventListener(name, sync); });
      video.addEventListener('error', function () { refreshVideo(video); });
      left.appendChild(video);
    } else {
      left.appendChild(el('p', 'notice', (data.video && data.video.message) || 'No video for this recording.'));
    }
    left.appendChild(el('p', 'meta', '')).id = 'video-note';
    if (rec.notes) left.appendChild(el('p', '', 'Customer notes: ' + rec.notes));
    var right = el('div');
    var tabs = el('div', 'tabs');
    tabs.setAttribute('role', 'tablist');
    PANELS.forEach(function (kind) {
      var section = data[kind] || { total: 0 };
      var b = el('button', '', LABELS[kind] + ' (' + (section.total || 0) + ')');
      b.type = 'button';
      b.id = 'tab-' + kind;
      b.setAttribute('role', 'tab');
      b.setAttribute('aria-controls', 'panel-' + kind);
      b.addEventListener('click', function () { selectTab(kind); });
      tabs.appendChild(b);
    });
    right.appendChild(tabs);
    PANELS.forEach(function (kind) {
      var list = el('ul', 'panel');
      list.id = 'panel-' + kind;
      list.setAttribute('role', 'tabpanel');
      list.setAttribute('aria-label', LABELS[kind] + ' entries');
      right.appendChild(list);
    });
    layout.appendChild(left);
    layout.appendChild(right);
    main.replaceChildren(layout);
    PANELS.forEach(buildPanel);
    selectTab('console');
    sync();
  }

  function applyHostContext(context) {
    if (!context) return;
    var vars = context.styles && context.styles.variables;
    if (vars) Object.keys(vars).forEach(function (k) { if (vars[k]) document.documentElement.style.setProperty(k, vars[k]); });
    if (context.theme === 'light' || context.theme === 'dark') document.documentElement.style.colorScheme = context.theme;
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent) return;
    var msg = event.data;
    if (!msg || msg.jsonrpc !== '2.0') return;
    if (msg.method === undefined && msg.id !== undefined && pending[msg.id]) {
      var p = pending[msg.id];
      delete pending[msg.id];
      if (msg.error) p.reject(msg.error); else p.resolve(msg.result);
      return;
    }
    if (msg.method === 'ui/notifications/tool-result') render(msg.params);
    else if (msg.method === 'ui/notifications/tool-cancelled') showNotice('The request was cancelled.');
    else if (msg.method === 'ui/notifications/host-context-changed') applyHostContext(msg.params);
    else if (msg.id !== undefined && (msg.method === 'ui/resource-teardown' || msg.method === 'ping')) post({ jsonrpc: '2.0', id: msg.id, result: {} });
  });

  $('open').addEventListener('click', function () {
    if (data && safeUrl(data.recording.playerUrl)) request('ui/open-link', { url: data.recording.playerUrl }).catch(function () {});
  });

  if (window.parent === window) {
    showNotice('This viewer runs inside an MCP client that supports MCP Apps.');
    return;
  }
  request('ui/initialize', {
    protocolVersion: '2026-01-26',
    appInfo: { name: 'userplane-recording-viewer', version: '1.0.0' },
    appCapabilities: { availableDisplayModes: ['inline', 'fullscreen'] }
  }).then(function (result) {
    applyHostContext(result && result.hostContext);
    notify('ui/notifications/initialized', {});
    // Size reports only once the handshake is done, so the host can size the frame to its content.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(function () {
        notify('ui/notifications/size-changed', { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight });
      }).observe(document.body);
    }
  }, function () {
    showNotice('The host did not accept this viewer.');
  });
})();
`;

/** The viewer as one HTML5 document (no external scripts, styles or fonts). */
export function recordingViewerHtml(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Userplane recording</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 id="title">Userplane recording</h1>
<button type="button" class="open" id="open" hidden>Open in Userplane</button>
</header>
<p class="meta" id="meta"></p>
<main id="main"><p class="notice">Loading the recording…</p></main>
<script>${SCRIPT}</script>
</body>
</html>`;
}
