import { type Context, Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import {
  ACCOUNT_WIDE,
  getNotificationSettings,
  type NotificationChannel,
  type NotificationSettings,
  type NotificationTopic,
  prefKey,
  saveNotificationSettings,
  topicChannels,
} from '../../services/notification-prefs.ts';
import type { DashboardChains } from './chains.ts';
import { loadDashboardContext } from './context.ts';
import { AccountPage, flashFrom, redirectWithFlash } from './settings-common.tsx';
import { renderDashboard } from './shell.tsx';

// Account Settings > Notifications (issue 10 §3): per workspace the user belongs to, "recording
// received" by e-mail and in the workspace's Slack channel and "invitation accepted" by e-mail;
// account-wide, "new Connected App" by e-mail. One form, one CSRF-protected POST. Every e-mail
// notification links here. Without SMTP_URL the page says that no e-mail is sent at all.

const FLASH = { saved: 'Notification settings saved' };

/** What each choice is called on the page. */
const LABELS: Record<
  `${NotificationTopic}.${NotificationChannel}`,
  { label: string; hint: string } | undefined
> = {
  'recording_received.email': {
    label: 'Recording received — e-mail me',
    hint: 'When a customer sends a recording through a link you created.',
  },
  'recording_received.slack': {
    label: 'Recording received — post in the Slack channel',
    hint: "Recordings of your links are posted to the workspace's Slack channel, when the workspace has connected Slack (Workspace Settings > Integrations).",
  },
  'invitation_accepted.email': {
    label: 'Invitation accepted — e-mail me',
    hint: 'When someone you invited joins the workspace.',
  },
  'connected_app.email': {
    label: 'New Connected App — e-mail me',
    hint: 'When an AI application is allowed to use your account. Keep this on: it is how you would notice an application you did not connect.',
  },
  'invitation_accepted.slack': undefined,
  'connected_app.slack': undefined,
};

// The form's values are short codes (a workspace's position in the form, then the choice), so the
// form of someone in many workspaces stays far below the settings forms' 16 KiB limit.
const CODES: Record<string, [NotificationTopic, NotificationChannel]> = {
  re: ['recording_received', 'email'],
  rs: ['recording_received', 'slack'],
  ie: ['invitation_accepted', 'email'],
  ce: ['connected_app', 'email'],
};
const CODE_OF = new Map(Object.entries(CODES).map(([code, [t, ch]]) => [`${t}.${ch}`, code]));

function Choice(props: {
  id: string;
  value: string;
  topic: NotificationTopic;
  channel: NotificationChannel;
  checked: boolean;
}) {
  const text = LABELS[`${props.topic}.${props.channel}`];
  if (!text) return null;
  return (
    <div class="checkbox">
      <input
        id={props.id}
        type="checkbox"
        name="p"
        value={props.value}
        checked={props.checked}
        aria-describedby={`${props.id}-hint`}
      />
      <label for={props.id}>
        {text.label}
        <br />
        <span class="muted" id={`${props.id}-hint`}>
          {text.hint}
        </span>
      </label>
    </div>
  );
}

function NotificationsBody(props: { csrf: string; settings: NotificationSettings; emailOn: boolean }) {
  const { settings } = props;
  return (
    <form method="post" action="/account/notifications">
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.emailOn ? null : (
        <p class="warning" role="note">
          This server sends no e-mail: SMTP_URL is not set. Your choices are kept and apply once an
          administrator sets SMTP_URL and MAIL_FROM; until then invitation links are shown in the dashboard to
          copy.
        </p>
      )}
      {settings.workspaces.length === 0 ? (
        <section class="card">
          <h2>Workspaces</h2>
          <p class="muted">You are not a member of any workspace yet.</p>
        </section>
      ) : (
        settings.workspaces.map((ws, i) => (
          <section class="card" aria-labelledby={`ws-${i}-heading`} data-workspace={ws.id}>
            <h2 id={`ws-${i}-heading`}>{ws.name}</h2>
            <input type="hidden" name="ws" value={ws.id} />
            {topicChannels('workspace').map(([topic, channel]) => (
              <Choice
                id={`pref-${i}-${topic}-${channel}`}
                value={`${i}.${CODE_OF.get(`${topic}.${channel}`)}`}
                topic={topic}
                channel={channel}
                checked={settings.enabled.get(prefKey(ws.id, topic, channel)) ?? true}
              />
            ))}
          </section>
        ))
      )}
      <section class="card" aria-labelledby="account-prefs-heading">
        <h2 id="account-prefs-heading">Your account</h2>
        <input type="hidden" name="account" value="1" />
        {topicChannels('account').map(([topic, channel]) => (
          <Choice
            id={`pref-account-${topic}-${channel}`}
            value={`a.${CODE_OF.get(`${topic}.${channel}`)}`}
            topic={topic}
            channel={channel}
            checked={settings.enabled.get(prefKey(ACCOUNT_WIDE, topic, channel)) ?? true}
          />
        ))}
        <p class="muted">
          Invitations to a workspace are always e-mailed to the person invited: they are not notifications of
          yours.
        </p>
        <button type="submit">Save notification settings</button>
      </section>
    </form>
  );
}

/** Account Settings > Notifications; mounted by createAccountRoutes. */
export function createNotificationsRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  const page = async (c: Context) => {
    const ctx = await loadDashboardContext(c, deps);
    const settings = await getNotificationSettings(deps, ctx.user.id);
    return renderDashboard(
      c,
      <AccountPage ctx={ctx} title="Notifications" tab="notifications" flash={flashFrom(c, FLASH)}>
        <NotificationsBody csrf={ctx.csrf} settings={settings} emailOn={deps.mailer !== null} />
      </AccountPage>,
    );
  };

  app.get('/account/notifications', ...chains.page, page);

  app.post('/account/notifications', ...chains.form, async (c) => {
    const ctx = await loadDashboardContext(c, deps);
    const form = await c.req.parseBody({ all: true });
    const list = (name: string): string[] => {
      const value = form[name];
      const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
      return values.filter((v): v is string => typeof v === 'string').slice(0, 1000);
    };
    const shown = list('ws').map((id) => id.slice(0, 64));
    const checked = new Set<string>();
    for (const value of list('p')) {
      const [where, code] = value.split('.', 2);
      const choice = code ? CODES[code] : undefined;
      if (!choice || where === undefined) continue; // not one of ours: ignored, like an unticked box
      const workspaceId = where === 'a' ? ACCOUNT_WIDE : shown[Number(where)];
      if (workspaceId === undefined || !/^\d+$|^a$/.test(where)) continue;
      checked.add(prefKey(workspaceId, choice[0], choice[1]));
    }
    // Workspaces the user does not belong to are skipped by the service.
    await saveNotificationSettings(deps, ctx.user.id, {
      shownWorkspaceIds: shown,
      accountShown: list('account').includes('1'),
      checked,
    });
    return redirectWithFlash(c, '/account/notifications', 'saved');
  });

  return app;
}
