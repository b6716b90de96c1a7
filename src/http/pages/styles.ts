// The one stylesheet of the server-rendered pages, served at /assets/app.css (same origin, so the
// Content-Security-Policy needs no inline-style exception, S27). System fonts only: nothing is
// fetched from another origin.

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
input[type="email"], input[type="password"], input[type="text"] {
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
`;
