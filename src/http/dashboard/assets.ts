import { Hono } from 'hono';
import { DASHBOARD_SCRIPT_PATH, PLAYER_SCRIPT_PATH } from './shell.tsx';

// Our own small scripts, served same-origin so the dashboard's CSP can say `script-src 'self'`
// and nothing else (S27). Pages work without them; they add the conveniences: auto-submitting the
// workspace switcher, copy buttons, confirmation dialogs with focus management, and the player's
// log-follows-video highlighting and click-to-seek. Plain ES2020, no build step, no dependencies.

/** Dashboard-wide behaviour, loaded on every dashboard page. */
export const DASHBOARD_JS = `'use strict';
(function () {
  // Controls that only matter without JavaScript (e.g. the switcher's Switch button).
  document.querySelectorAll('[data-hide-with-js]').forEach(function (el) { el.hidden = true; });

  // The workspace switcher submits itself when a workspace is chosen.
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (select) {
    select.addEventListener('change', function () { if (select.value) select.form.submit(); });
  });

  // Copy buttons: <button data-copy="text">. The readonly input next to them works without JS.
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = button.getAttribute('data-copy') || '';
      var label = button.textContent;
      var done = function (ok) {
        button.textContent = ok ? 'Copied' : 'Copy failed';
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  });

  // Confirmation dialogs. A link <a data-confirm="dialog-id" href="/…/delete"> leads to a plain
  // confirmation page without JS; with JS it opens the <dialog id="dialog-id"> on this page
  // instead, which holds the real POST form. showModal() traps focus inside the dialog; closing it
  // returns focus to the control that opened it.
  document.querySelectorAll('[data-confirm]').forEach(function (opener) {
    var dialog = document.getElementById(opener.getAttribute('data-confirm'));
    if (!dialog || typeof dialog.showModal !== 'function') return;
    opener.addEventListener('click', function (event) {
      event.preventDefault();
      dialog.showModal();
      var first = dialog.querySelector('[autofocus], button, input, select, textarea, a[href]');
      if (first) first.focus();
    });
    dialog.addEventListener('close', function () { opener.focus(); });
    dialog.querySelectorAll('[data-close]').forEach(function (button) {
      button.addEventListener('click', function () { dialog.close(); });
    });
  });

  // Tabs: <div role="tablist"> of <a role="tab" href="#panel-id"> over role="tabpanel" sections.
  // Without JS every panel is shown and the tabs are in-page links.
  document.querySelectorAll('[role="tablist"]').forEach(function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    var panelOf = function (tab) { return document.getElementById(tab.getAttribute('aria-controls')); };
    var select = function (tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
        var panel = panelOf(t);
        if (panel) panel.hidden = !on;
      });
      if (focus) tab.focus();
    };
    tabs.forEach(function (tab, i) {
      tab.addEventListener('click', function (event) { event.preventDefault(); select(tab, false); });
      tab.addEventListener('keydown', function (event) {
        var next = null;
        if (event.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
        else if (event.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (event.key === 'Home') next = tabs[0];
        else if (event.key === 'End') next = tabs[tabs.length - 1];
        if (next) { event.preventDefault(); select(next, true); }
      });
    });
    if (tabs.length) select(tabs[0], false);
  });
})();
`;

/**
 * The player: highlights the log entry at the video's playback position in every panel and seeks
 * the video when an entry is clicked. Entries are server-rendered buttons with data-ts (ms from the
 * start of the recording), sorted by ts.
 */
export const PLAYER_JS = `'use strict';
(function () {
  var video = document.querySelector('video[data-player]');
  if (!video) return;
  var lists = Array.prototype.slice.call(document.querySelectorAll('[data-entries]'));

  function entriesOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[data-ts]'));
  }

  // The last entry whose ts is at or before the position (entries are sorted by ts).
  function entryAt(entries, ms) {
    var lo = 0, hi = entries.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (Number(entries[mid].getAttribute('data-ts')) <= ms) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found === -1 ? null : entries[found];
  }

  var current = new Map();
  function highlight() {
    var ms = Math.floor(video.currentTime * 1000);
    lists.forEach(function (list) {
      var entry = entryAt(entriesOf(list), ms);
      var previous = current.get(list);
      if (previous === entry) return;
      if (previous) { previous.classList.remove('current'); previous.removeAttribute('aria-current'); }
      if (entry) {
        entry.classList.add('current');
        entry.setAttribute('aria-current', 'true');
        // Keep the entry in view inside its own scrolling list without moving the page.
        var box = list.getBoundingClientRect(), row = entry.getBoundingClientRect();
        if (row.top < box.top || row.bottom > box.bottom) list.scrollTop += row.top - box.top - box.height / 3;
      }
      current.set(list, entry);
    });
  }

  function seek(ms) {
    video.currentTime = ms / 1000;
    highlight();
  }

  lists.forEach(function (list) {
    list.addEventListener('click', function (event) {
      var target = event.target.closest ? event.target.closest('[data-ts]') : null;
      if (!target || !list.contains(target)) return;
      event.preventDefault();
      seek(Number(target.getAttribute('data-ts')));
    });
  });

  video.addEventListener('timeupdate', highlight);
  video.addEventListener('seeked', highlight);
  video.addEventListener('loadedmetadata', highlight);
  highlight();
})();
`;

const LONG_CACHE = 'public, max-age=86400';

/** GET /assets/dashboard.js and /assets/player.js. */
export function createAssetRoutes(): Hono {
  const app = new Hono();
  for (const [path, body] of [
    [DASHBOARD_SCRIPT_PATH, DASHBOARD_JS],
    [PLAYER_SCRIPT_PATH, PLAYER_JS],
  ] as const) {
    app.get(path, (c) => {
      c.header('Cache-Control', LONG_CACHE);
      c.header('X-Content-Type-Options', 'nosniff');
      return c.body(body, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    });
  }
  return app;
}
