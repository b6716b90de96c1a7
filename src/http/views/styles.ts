// The one stylesheet of the server-rendered pages, served at /assets/app.css (same origin, so the
// Content-Security-Policy needs no inline-style exception, S27). System fonts only: nothing is
// fetched from another origin.

/** The site icon (served at ICON_PATH): a rounded square with a play mark, so tabs show ours instead of a 404. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2457d6"/><path d="M12 9v14l11-7z" fill="#fff"/></svg>`;

export const APP_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --card: #ffffff;
  --text: #1b1f24;
  --muted: #5b6470;
  --border: #d7dbe0;
  --accent: #2457d6;
  --accent-text: #ffffff;
  --danger: #b42318;
  --warn-bg: #fff4e5;
  --warn-text: #7a4100;
  --ok: #1a7f37;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --card: #1a1f25;
    --text: #e8eaed;
    --muted: #a0a8b3;
    --border: #313842;
    --accent: #6d95ff;
    --accent-text: #0b0e12;
    --danger: #ff8a80;
    --warn-bg: #3a2a12;
    --warn-text: #ffd59a;
    --ok: #6fdd8b;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg);
  color: var(--text);
}
header.site {
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 1rem;
  padding: 0.75rem 1.25rem;
  border-bottom: 1px solid var(--border);
  background: var(--card);
}
header.site .brand { font-weight: 700; color: var(--text); text-decoration: none; }
header.site .who { display: flex; align-items: center; gap: 0.75rem; color: var(--muted); font-size: 0.9rem; }
main { max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 1.75rem; }
h1 { font-size: 1.4rem; margin: 0 0 1.25rem; }
p { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin: 0 0 0.25rem; }
input[type="email"], input[type="password"], input[type="text"], input[type="url"] {
  display: block;
  width: 100%;
  padding: 0.55rem 0.7rem;
  margin: 0 0 1rem;
  font: inherit;
  color: inherit;
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 6px;
}
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button {
  font: inherit;
  font-weight: 600;
  padding: 0.55rem 1.1rem;
  border-radius: 6px;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-text);
  cursor: pointer;
}
button.secondary, .actions button[value="deny"] { background: transparent; color: var(--text); border-color: var(--border); }
button.link { background: none; border: none; padding: 0; color: var(--accent); font-weight: 400; text-decoration: underline; }
.actions { display: flex; gap: 0.75rem; justify-content: flex-end; margin-top: 1.25rem; }
.full { width: 100%; }
.error { color: var(--danger); font-weight: 600; }
.warning { background: var(--warn-bg); color: var(--warn-text); border-radius: 6px; padding: 0.75rem 1rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
.hint { color: var(--muted); font-size: 0.85rem; margin: -0.75rem 0 1rem; }
a { color: var(--accent); }
.client { display: flex; align-items: center; gap: 0.9rem; margin-bottom: 1rem; }
.client img, .client .avatar {
  width: 48px;
  height: 48px;
  border-radius: 10px;
  border: 1px solid var(--border);
  flex: none;
  object-fit: contain;
}
.client .avatar { display: flex; align-items: center; justify-content: center; font-weight: 700; font-size: 1.3rem; }
.client .name { font-weight: 700; font-size: 1.1rem; }
.badge { display: inline-block; font-size: 0.75rem; font-weight: 600; padding: 0.1rem 0.5rem; border-radius: 999px; border: 1px solid var(--border); }
.badge.verified { color: var(--accent); border-color: var(--accent); }
.badge.unverified { color: var(--warn-text); background: var(--warn-bg); border-color: transparent; }
dl.facts { margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0 0 0.75rem; color: var(--muted); overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
/* ---- Dashboard: shell, Recordings, player, Links (src/http/dashboard) ---- */
body.dashboard main.dash-main { max-width: 72rem; margin: 1.5rem auto 3rem; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: 0.5rem 1rem; z-index: 10; }
.skip:focus { left: 0.5rem; }
header.dash-header { flex-wrap: wrap; }
header.dash-header .switcher { display: flex; gap: 0.5rem; align-items: center; margin-right: auto; }
select, textarea, input[type="date"] {
  font: inherit;
  color: inherit;
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 6px;
  padding: 0.45rem 0.6rem;
  max-width: 100%;
}
textarea { display: block; width: 100%; margin: 0 0 1rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9rem; }
select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button.small { padding: 0.3rem 0.7rem; font-size: 0.9rem; }
button.danger, a.button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
a.button {
  display: inline-block;
  font-weight: 600;
  padding: 0.55rem 1.1rem;
  border-radius: 6px;
  background: var(--accent);
  color: var(--accent-text);
  text-decoration: none;
}
a.danger-link { color: var(--danger); }
details.menu { position: relative; }
details.menu > summary { cursor: pointer; list-style: none; padding: 0.35rem 0.6rem; border: 1px solid var(--border); border-radius: 6px; }
details.menu > summary::-webkit-details-marker { display: none; }
details.menu > summary::after { content: " ▾"; }
details.menu .menu-body {
  position: absolute;
  right: 0;
  top: calc(100% + 0.35rem);
  min-width: 14rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 8px;
  padding: 0.75rem 1rem;
  z-index: 5;
  box-shadow: 0 6px 24px rgb(0 0 0 / 0.12);
}
details.menu ul { list-style: none; margin: 0; padding: 0; }
details.menu li { margin: 0.35rem 0; }
nav.dash-nav { background: var(--card); border-bottom: 1px solid var(--border); overflow-x: auto; }
nav.dash-nav ul { display: flex; gap: 0.25rem; list-style: none; margin: 0 auto; padding: 0 1rem; max-width: 72rem; }
nav.dash-nav a { display: block; padding: 0.6rem 0.75rem; color: var(--text); text-decoration: none; white-space: nowrap; border-bottom: 3px solid transparent; }
nav.dash-nav a[aria-current="page"] { border-bottom-color: var(--accent); font-weight: 600; }
.flash { background: var(--card); border: 1px solid var(--accent); border-left-width: 4px; border-radius: 6px; padding: 0.6rem 1rem; }
.card + .card, .card + section, .table-wrap + .pager, .pager + .card { margin-top: 1.25rem; }
.card.narrow { max-width: 36rem; }
.card.empty h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem 1rem; align-items: flex-end; margin: 0 0 1.25rem; }
form.filters .filter-actions { display: flex; gap: 0.75rem; align-items: center; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--border); border-radius: 10px; }
table.list { width: 100%; border-collapse: collapse; }
table.list th, table.list td { text-align: left; padding: 0.6rem 0.8rem; border-bottom: 1px solid var(--border); vertical-align: top; }
table.list tbody tr:last-child td { border-bottom: none; }
table.list th { font-size: 0.85rem; color: var(--muted); font-weight: 600; }
td.row-actions { white-space: nowrap; }
td.row-actions a + a { margin-left: 0.75rem; }
.copy { display: flex; gap: 0.4rem; align-items: center; }
.copy input[type="text"] { margin: 0; min-width: 12rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85rem; padding: 0.3rem 0.5rem; }
.pager { display: flex; justify-content: space-between; align-items: center; margin: 1rem 0; }
.form-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; }
.form-grid select { width: 100%; margin: 0 0 1rem; }
.checkbox { display: flex; gap: 0.5rem; align-items: baseline; margin: 0 0 1rem; }
.checkbox label { font-weight: 400; }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1.25rem; margin-top: 1.25rem; }
.grid-2 .card + .card { margin-top: 0; }
.inline-form input[type="date"] { display: block; margin: 0 0 0.75rem; }
dialog { border: 1px solid var(--border); border-radius: 10px; background: var(--card); color: var(--text); max-width: 30rem; padding: 1.5rem; }
dialog::backdrop { background: rgb(0 0 0 / 0.45); }
.player { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.25rem; align-items: start; }
.player video { width: 100%; max-height: 70vh; background: #000; border-radius: 8px; display: block; }
.panels { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 0.75rem; min-width: 0; }
.tabs { display: flex; gap: 0.25rem; border-bottom: 1px solid var(--border); margin: 0 0 0.75rem; overflow-x: auto; }
.tabs a { padding: 0.4rem 0.75rem; text-decoration: none; color: var(--text); border-bottom: 3px solid transparent; }
.tabs a[aria-selected="true"], .tabs a[aria-current="page"] { border-bottom-color: var(--accent); font-weight: 600; }
.panel + .panel { margin-top: 1rem; }
.panel-title { font-size: 1rem; margin: 0 0 0.5rem; }
ol.entries { list-style: none; margin: 0; padding: 0; max-height: 60vh; overflow-y: auto; }
ol.entries li { border-bottom: 1px solid var(--border); }
button.entry {
  display: flex;
  gap: 0.5rem;
  align-items: baseline;
  width: 100%;
  text-align: left;
  background: none;
  border: none;
  border-left: 3px solid transparent;
  border-radius: 0;
  padding: 0.35rem 0.5rem;
  color: var(--text);
  font-weight: 400;
  font-size: 0.88rem;
}
button.entry:hover { background: var(--bg); }
button.entry .ts { color: var(--muted); font-variant-numeric: tabular-nums; flex: none; }
button.entry .msg { overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
button.entry.current { background: var(--warn-bg); border-left-color: var(--accent); }
button.entry.level-error, button.entry.failed { border-left-color: var(--danger); }
button.entry.level-error .msg, button.entry.failed .msg { color: var(--danger); }
.badge.level-error { color: var(--danger); border-color: var(--danger); }
.badge.level-warn { color: var(--warn-text); background: var(--warn-bg); border-color: transparent; }
details.stack { padding: 0 0.5rem 0.5rem 2.5rem; font-size: 0.85rem; }
details.stack pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0; }
dd.notes { white-space: pre-wrap; color: var(--text); }
@media (max-width: 48rem) {
  .player { grid-template-columns: 1fr; }
  table.list thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.list tr { display: block; border-bottom: 1px solid var(--border); padding: 0.5rem 0; }
  table.list td { display: block; border: none; padding: 0.2rem 0.8rem; }
  table.list td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 0.85rem; }
  header.dash-header .switcher { margin-right: 0; }
}
/* Fixes after looking at the e2e screenshots (test-results/screenshots). */
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.75rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 0.5rem; }
.card > h2:first-child, .card > h1:first-child, dialog > h2:first-child, .card > label:first-child { margin-top: 0; }
.table-wrap + .card, .table-wrap + section, .card + p { margin-top: 1.25rem; }
.card form + dl, .card form + p, .card form + form { margin-top: 1.25rem; }
.card form > select, .card form > input[type="number"] { display: block; margin: 0 0 1rem; }
input[type="number"] {
  font: inherit;
  color: inherit;
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 6px;
  padding: 0.45rem 0.6rem;
  width: 10rem;
  max-width: 100%;
}
form.inline { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
form.inline select { margin: 0; }
details.menu { display: inline-block; }
table.list time { white-space: nowrap; }
.app-name { display: inline-flex; align-items: center; gap: 0.6rem; }
.app-icon { width: 32px; height: 32px; border-radius: 8px; border: 1px solid var(--border); flex: none; object-fit: contain; }
.app-icon.avatar { display: inline-flex; align-items: center; justify-content: center; font-weight: 700; background: var(--bg); }
.badge.status-active { color: var(--ok); border-color: var(--ok); }
.badge.status-inactive, .badge.status-disabled, .badge.status-expired { color: var(--muted); background: var(--bg); }
/* Delivery log (webhooks, deliveries): a failed delivery stands out, so "the dashboard shows the failure". */
.badge.status-delivered { color: var(--ok); border-color: var(--ok); }
.badge.status-pending { color: var(--warn-text); background: var(--warn-bg); border-color: transparent; }
.badge.status-failed { color: #fff; background: var(--danger); border-color: var(--danger); }
table.list tr.delivery-failed td { background: var(--warn-bg); }
table.list tr.delivery-failed td:first-child { box-shadow: inset 4px 0 0 var(--danger); }
pre.response { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 12rem; overflow: auto; margin: 0; font-size: 0.85rem; }
fieldset.events { border: 1px solid var(--border); border-radius: 6px; margin: 0 0 1rem; padding: 0.5rem 0.75rem; }
fieldset.events .checkbox { margin: 0.25rem 0; }
/* ---- end of the dashboard section ---- */
`;
