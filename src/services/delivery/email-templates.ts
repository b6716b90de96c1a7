import type { RecordingSummary } from './types.ts';

// The e-mails we send (docs/notifications.md "E-mail"): plain text plus simple HTML with inline
// styles, no remote images, no scripts, no web fonts. Every dynamic value — a workspace or link
// name, a customer's notes, an application's self-chosen name — is someone's input and is
// HTML-escaped where it lands in the HTML and stripped of control characters everywhere (a
// subject with a line break must not become a header of its own). Notifications end with where to
// turn them off (/account/notifications, also in List-Unsubscribe); the invitation, sent to
// someone who may have no account, says instead why they got it and to ignore it if unexpected.

/** A message before it has a recipient's Message-ID. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** Notes longer than this are cut in e-mails; the player shows them whole. */
export const MAX_NOTES_IN_MAIL = 2000;
const MAX_NAME = 120;
const MAX_SUBJECT = 150;

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * One line of someone's text: control characters (line breaks included) and invisible
 * format characters (bidirectional overrides) removed, whitespace collapsed, cut to `max` characters.
 */
export function oneLine(value: string, max = MAX_NAME): string {
  // Cc: control characters; Cf: invisible format characters (bidirectional overrides, zero widths).
  const clean = value.replace(/[\p{Cc}\p{Cf}]+/gu, ' ');
  const collapsed = clean.replace(/\s+/g, ' ').trim();
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

/** Several lines of someone's text (customer notes): line breaks kept, other controls removed, capped. */
function multiLine(value: string, max: number): string {
  const clean = value
    .replace(/\r\n?/g, '\n')
    .replace(/\p{Cf}/gu, '')
    .replace(/(?!\n)\p{Cc}/gu, '');
  const trimmed = clean.replace(/\n{3,}/g, '\n\n').trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

function subjectOf(value: string): string {
  return oneLine(value, MAX_SUBJECT);
}

/** "2 min 5 s", "45 s". */
export function formatDuration(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return null;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/** "2025-03-04 15:06 UTC": one format for every reader, whatever their mail client's locale. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A link we put in a message: only our own URLs (under PUBLIC_URL) become links; anything else is
 * shown as text. Our URLs are built by the server, so this is a second lock, not the first.
 */
function ownUrl(url: string, publicUrl: string): string | null {
  try {
    const u = new URL(url);
    const base = new URL(publicUrl);
    return u.origin === base.origin && (u.protocol === 'https:' || u.protocol === 'http:') ? u.href : null;
  } catch {
    return null;
  }
}

/** The HTML frame: one column, system fonts, inline styles only (mail clients drop <style>). */
function layout(parts: { heading: string; bodyHtml: string; footerHtml: string }): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${parts.heading}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2328;">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d8dee4;border-radius:8px;padding:24px;">',
    `<h1 style="font-size:20px;margin:0 0 16px;">${parts.heading}</h1>`,
    parts.bodyHtml,
    '</div>',
    `<p style="max-width:560px;margin:16px auto 0;font-size:12px;color:#59636e;">${parts.footerHtml}</p>`,
    '</body></html>',
  ].join('\n');
}

function button(href: string, label: string): string {
  return `<p style="margin:24px 0;"><a href="${escapeHtml(href)}" style="display:inline-block;background:#1f6feb;color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:6px;font-weight:600;">${escapeHtml(label)}</a></p>`;
}

function paragraph(html: string): string {
  return `<p style="margin:0 0 12px;line-height:1.5;">${html}</p>`;
}

/** The link to turn notifications off, in the footer and in List-Unsubscribe (RFC 2369). */
function notificationFooter(
  publicUrl: string,
  why: string,
): { text: string; html: string; headers: Record<string, string> } {
  const settings = `${publicUrl}/account/notifications`;
  return {
    text: `${why}\nTurn these e-mails off: ${settings}`,
    html: `${escapeHtml(why)} <a href="${escapeHtml(settings)}" style="color:#59636e;">Turn these e-mails off</a> in Account Settings &gt; Notifications.`,
    headers: { 'List-Unsubscribe': `<${settings}>`, 'Auto-Submitted': 'auto-generated' },
  };
}

/** A link or, when it is not one of ours, the address as text. */
function linkOrText(url: string, publicUrl: string, label: string): { text: string; html: string } {
  const href = ownUrl(url, publicUrl);
  return href
    ? { text: `${label}: ${href}`, html: button(href, label) }
    : { text: `${label}: ${url}`, html: paragraph(escapeHtml(url)) };
}

/** The invitation: the invitee gets the link (which holds the token) and why they got it. */
export function invitationMail(
  input: {
    workspaceName: string;
    inviterName: string;
    email: string;
    role: string;
    acceptUrl: string;
    expiresAt: number;
  },
  publicUrl: string,
): RenderedMail {
  const workspace = oneLine(input.workspaceName);
  const inviter = oneLine(input.inviterName) || 'A workspace admin';
  const role = oneLine(input.role, 20);
  const expires = formatTime(input.expiresAt);
  const link = linkOrText(input.acceptUrl, publicUrl, 'Accept the invitation');
  const why = `You received this e-mail because ${inviter} invited ${oneLine(input.email, 254)} to the Userplane workspace ${workspace}. If you did not expect it, ignore it: nothing happens unless you open the link and accept.`;
  const text = [
    `${inviter} invited you to join ${workspace} on Userplane as ${role}.`,
    '',
    link.text,
    '',
    `Sign in or create an account with this e-mail address to accept. The link works once and expires on ${expires}.`,
    '',
    '--',
    why,
  ].join('\n');
  const html = layout({
    heading: escapeHtml(`Join ${workspace} on Userplane`),
    bodyHtml: [
      paragraph(
        `${escapeHtml(inviter)} invited you to join <strong>${escapeHtml(workspace)}</strong> on Userplane as ${escapeHtml(role)}.`,
      ),
      link.html,
      // The address as text too, for mail clients that show buttons badly or not at all.
      paragraph(
        `Or open this address in your browser: <span style="word-break:break-all;">${escapeHtml(input.acceptUrl)}</span>`,
      ),
      paragraph(
        `Sign in or create an account with this e-mail address to accept. The link works once and expires on ${escapeHtml(expires)}.`,
      ),
    ].join('\n'),
    footerHtml: escapeHtml(why),
  });
  return {
    subject: subjectOf(`${inviter} invited you to ${workspace} on Userplane`),
    text,
    html,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}

/** "Recording received", to the link's creator. */
export function recordingReceivedMail(
  recording: RecordingSummary,
  recipientName: string,
  publicUrl: string,
): RenderedMail {
  const title = oneLine(recording.linkTitle ?? '') || 'Untitled link';
  const workspace = oneLine(recording.workspaceName);
  const notes = recording.notes ? multiLine(recording.notes, MAX_NOTES_IN_MAIL) : '';
  const duration = formatDuration(recording.durationMs);
  const errors = recording.consoleErrorCount;
  const errorLine = errors === 0 ? 'No console errors' : `${errors} console error${errors === 1 ? '' : 's'}`;
  const facts: Array<[string, string]> = [
    ['Link', title],
    ['Workspace', workspace],
    ...(duration ? ([['Length', duration]] as Array<[string, string]>) : []),
    ['Console', errorLine],
    ['Received', formatTime(recording.createdAt)],
  ];
  const link = linkOrText(recording.playerUrl, publicUrl, 'Watch the recording');
  const footer = notificationFooter(
    publicUrl,
    `You get this because you created the link “${title}” in ${workspace}.`,
  );
  const greeting = oneLine(recipientName) ? `Hi ${oneLine(recipientName)},` : 'Hi,';
  const text = [
    greeting,
    '',
    `A customer sent a recording through your link “${title}”.`,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    ...(notes ? ['', 'Their notes:', ...notes.split('\n').map((l) => `> ${l}`)] : []),
    '',
    link.text,
    '',
    '--',
    footer.text,
  ].join('\n');
  const html = layout({
    heading: 'New recording received',
    bodyHtml: [
      paragraph(escapeHtml(greeting)),
      paragraph(`A customer sent a recording through your link “${escapeHtml(title)}”.`),
      factsTable(facts),
      notes
        ? `<p style="margin:0 0 4px;color:#59636e;">Their notes:</p><blockquote style="margin:0 0 12px;padding:8px 12px;border-left:3px solid #d8dee4;white-space:pre-wrap;">${escapeHtml(notes)}</blockquote>`
        : '',
      link.html,
    ].join('\n'),
    footerHtml: footer.html,
  });
  return { subject: subjectOf(`New recording: ${title}`), text, html, headers: footer.headers };
}

/** Label/value facts as an escaped two-column table (the text part lists them as `Label: value`). */
function factsTable(facts: Array<[string, string]>): string {
  const rows = facts
    .map(
      ([k, v]) =>
        `<tr><th align="left" style="padding:4px 12px 4px 0;color:#59636e;font-weight:normal;">${escapeHtml(k)}</th><td style="padding:4px 0;">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  return `<table style="border-collapse:collapse;margin:0 0 12px;">${rows}</table>`;
}

/** "Invitation accepted", to the person who sent the invitation. */
export function invitationAcceptedMail(
  input: { workspaceId: string; workspaceName: string; name: string; email: string; role: string },
  publicUrl: string,
): RenderedMail {
  const workspace = oneLine(input.workspaceName);
  const email = oneLine(input.email, 254);
  const who = oneLine(input.name) || email;
  const role = oneLine(input.role, 20);
  const team = `${publicUrl}/w/${encodeURIComponent(input.workspaceId)}/settings/team`;
  const link = linkOrText(team, publicUrl, 'Open the team');
  const footer = notificationFooter(publicUrl, `You get this because you invited ${email} to ${workspace}.`);
  const sentence = `${who} (${email}) accepted your invitation and joined ${workspace} as ${role}.`;
  const text = [sentence, '', link.text, '', '--', footer.text].join('\n');
  const html = layout({
    heading: escapeHtml(`${who} joined ${workspace}`),
    bodyHtml: [paragraph(escapeHtml(sentence)), link.html].join('\n'),
    footerHtml: footer.html,
  });
  return { subject: subjectOf(`${who} joined ${workspace}`), text, html, headers: footer.headers };
}

/** "A new application was connected", to the account's owner. */
export function connectedAppMail(
  input: { clientName: string; at: number; ip: string | null; userAgent: string | null },
  publicUrl: string,
): RenderedMail {
  // A dynamically registered client names itself: quote the name and say it is its own claim.
  const app = oneLine(input.clientName) || 'An application';
  const facts: Array<[string, string]> = [
    ['Application', app],
    ['When', formatTime(input.at)],
    ...(input.ip ? ([['From address', oneLine(input.ip, 64)]] as Array<[string, string]>) : []),
    ...(input.userAgent ? ([['Browser', oneLine(input.userAgent, 200)]] as Array<[string, string]>) : []),
  ];
  const connections = `${publicUrl}/account/connections`;
  const link = linkOrText(connections, publicUrl, 'Review Connected Apps');
  const footer = notificationFooter(
    publicUrl,
    'You get this for every new application connected to your account.',
  );
  const intro = `An application calling itself “${app}” was allowed to use your Userplane account (its MCP tools, with your role in each workspace).`;
  const advice =
    'If this was you, there is nothing to do. If it was not, revoke its access in Account Settings > Connections and change your password.';
  const text = [
    intro,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    advice,
    '',
    link.text,
    '',
    '--',
    footer.text,
  ].join('\n');
  const html = layout({
    heading: 'New application connected',
    bodyHtml: [
      paragraph(escapeHtml(intro)),
      factsTable(facts),
      paragraph(escapeHtml(advice)),
      link.html,
    ].join('\n'),
    footerHtml: footer.html,
  });
  return {
    subject: subjectOf(`New app connected to your Userplane account: ${app}`),
    text,
    html,
    headers: footer.headers,
  };
}
