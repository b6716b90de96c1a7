import { type Context, Hono } from 'hono';
import type { DeliveryView } from '../../services/delivery-log.ts';
import type { Deps } from '../../services/deps.ts';
import {
  type ConnectInput,
  connectIntegration,
  DEFAULT_INTERCOM_BASE_URL,
  disconnectIntegration,
  INTEGRATION_PROVIDERS,
  type IntegrationProvider,
  type IntegrationView,
  listIntegrations,
  PROVIDER_NAMES,
  parseProvider,
  recentIntegrationDeliveries,
} from '../../services/integrations.ts';
import { clientIp } from '../middleware/client-ip.ts';
import { dashboardChains } from './chains.ts';
import { DeliveryTable } from './deliveries.tsx';
import { ActionMenu, DeleteForm, EmailField, PasswordField } from './kit.tsx';
import {
  attempt,
  FormError,
  formFields,
  loadSettings,
  redirectWithFlash,
  renderSettings,
  type SettingsFrame,
  type SettingsStatus,
  settingsPath,
} from './settings-common.tsx';
import { CsrfField, Time } from './shell.tsx';

// Workspace Settings > Integrations (issue 10 §5, §6; admins and owners — the services refuse
// everyone else, which the dashboard error handler turns into the forbidden page): one card each for
// Slack, Intercom and Zendesk with its connect form, what is saved (never the credential: its last
// four characters), a "Reconnect …" warning when the provider refused it, disconnect, and the
// provider's latest deliveries. Provider answers and errors are shown as text, never as markup.

const RECENT = 10;

const FLASH: Record<string, string> = Object.fromEntries(
  INTEGRATION_PROVIDERS.flatMap((p) => [
    [`${p}-connected`, `${PROVIDER_NAMES[p]} connected`],
    [`${p}-disconnected`, `${PROVIDER_NAMES[p]} disconnected: its credentials were deleted`],
  ]),
);

/** What a failed form sends back: the error and the non-secret fields as typed (tokens are never echoed). */
interface CardState {
  error?: string;
  draft?: ConnectInput;
}

/** The form fields each provider takes; secrets are read but never put back into a page. */
async function readForm(
  c: Context,
  provider: IntegrationProvider,
): Promise<{ input: ConnectInput; draft: ConnectInput }> {
  const field = await formFields(c);
  // One character over each service limit is kept, so the service names the field instead of cutting.
  if (provider === 'slack') return { input: { webhookUrl: field('webhookUrl', 501) }, draft: {} };
  if (provider === 'intercom') {
    const draft = { adminId: field('adminId', 65), baseUrl: field('baseUrl', 501) };
    return { input: { ...draft, accessToken: field('accessToken', 501) }, draft };
  }
  const draft = {
    subdomain: field('subdomain', 64),
    baseUrl: field('baseUrl', 501),
    email: field('email', 255),
  };
  return { input: { ...draft, apiToken: field('apiToken', 501) }, draft };
}

const DESCRIPTIONS: Record<IntegrationProvider, string> = {
  slack:
    'Posts "recording received" to a Slack channel through an incoming webhook: the link title, the customer\'s notes, the length, the console error count and the player link. Each link creator can turn it off for their links (Account Settings > Notifications).',
  intercom:
    'When a recording arrives through a link made for an Intercom conversation (provider type intercom, the conversation id as provider id), an internal note with the summary and the player link is added to that conversation.',
  zendesk:
    'When a recording arrives through a link made for a Zendesk ticket (provider type zendesk, the ticket number as provider id), a private comment with the summary and the player link is added to that ticket.',
};

function StatusBadge(props: { view: IntegrationView | undefined }) {
  if (!props.view) return <span class="badge">not connected</span>;
  if (props.view.status === 'needs_reconnect')
    return <span class="badge unverified">needs reconnecting</span>;
  return <span class="badge verified">connected</span>;
}

function Saved(props: { view: IntegrationView }) {
  const v = props.view;
  return (
    <dl class="facts">
      {v.provider === 'slack' ? (
        <>
          <dt>Posts to</dt>
          <dd>{v.baseUrl}</dd>
          <dt>Webhook URL</dt>
          <dd>
            ending in <code>{v.secretHint}</code>
          </dd>
        </>
      ) : (
        <>
          <dt>API base URL</dt>
          <dd>{v.baseUrl}</dd>
          {v.adminId ? (
            <>
              <dt>Notes written as admin</dt>
              <dd>{v.adminId}</dd>
            </>
          ) : null}
          {v.agentEmail ? (
            <>
              <dt>Agent</dt>
              <dd>{v.agentEmail}</dd>
            </>
          ) : null}
          <dt>{v.provider === 'intercom' ? 'Access token' : 'API token'}</dt>
          <dd>
            ending in <code>{v.secretHint}</code>
          </dd>
        </>
      )}
      <dt>Connected</dt>
      <dd>
        <Time ms={v.connectedAt} />
      </dd>
    </dl>
  );
}

function ConnectForm(props: {
  provider: IntegrationProvider;
  action: string;
  csrf: string;
  view: IntegrationView | undefined;
  draft: ConnectInput | undefined;
}) {
  const { provider, view } = props;
  const draft = props.draft ?? {};
  const id = (name: string) => `${provider}-${name}`;
  const keep = view ? ' Leave blank to keep the saved one.' : '';
  const submit = view ? `Save ${PROVIDER_NAMES[provider]} settings` : `Connect ${PROVIDER_NAMES[provider]}`;
  return (
    <form method="post" action={props.action}>
      <CsrfField csrf={props.csrf} />
      {provider === 'slack' ? (
        <>
          <label for={id('webhookUrl')}>{view ? 'New incoming-webhook URL' : 'Incoming-webhook URL'}</label>
          <input
            id={id('webhookUrl')}
            type="url"
            name="webhookUrl"
            required
            maxlength={500}
            autocomplete="off"
            spellcheck={false}
            placeholder="https://hooks.slack.com/services/…"
          />
          <p class="muted">
            In Slack: create an app with Incoming Webhooks, add one to the channel, copy its URL. The URL is
            the credential: it is stored encrypted and not shown again.
          </p>
        </>
      ) : provider === 'intercom' ? (
        <>
          <PasswordField
            id={id('accessToken')}
            label="Access token"
            name="accessToken"
            required={!view}
            maxlength={500}
            autocomplete="off"
          />
          <p class="muted">From your Intercom app (Developer Hub &gt; Authentication).{keep}</p>
          <label for={id('adminId')}>Admin id</label>
          <input
            id={id('adminId')}
            type="text"
            name="adminId"
            required
            maxlength={64}
            inputmode="numeric"
            value={draft.adminId ?? view?.adminId ?? ''}
          />
          <p class="muted">The teammate the notes are written as.</p>
          <label for={id('baseUrl')}>API base URL</label>
          <input
            id={id('baseUrl')}
            type="url"
            name="baseUrl"
            maxlength={500}
            placeholder={DEFAULT_INTERCOM_BASE_URL}
            value={draft.baseUrl ?? view?.baseUrl ?? ''}
          />
          <p class="muted">
            Empty for {DEFAULT_INTERCOM_BASE_URL}; https://api.eu.intercom.io or https://api.au.intercom.io
            for workspaces hosted there.
          </p>
        </>
      ) : (
        <>
          <label for={id('subdomain')}>Subdomain</label>
          <input
            id={id('subdomain')}
            type="text"
            name="subdomain"
            maxlength={63}
            spellcheck={false}
            placeholder="acme for acme.zendesk.com"
            value={draft.subdomain ?? ''}
          />
          <label for={id('baseUrl')}>Or the full base URL</label>
          <input
            id={id('baseUrl')}
            type="url"
            name="baseUrl"
            maxlength={500}
            placeholder="https://support.example.com"
            value={draft.baseUrl ?? view?.baseUrl ?? ''}
          />
          <p class="muted">
            A base URL, when given, is used instead of the subdomain (a host-mapped help center).
          </p>
          <EmailField id={id('email')} label="Agent e-mail" value={draft.email ?? view?.agentEmail ?? ''} />
          <PasswordField
            id={id('apiToken')}
            label="API token"
            name="apiToken"
            required={!view}
            maxlength={500}
            autocomplete="off"
          />
          <p class="muted">
            Admin Center &gt; Apps and integrations &gt; Zendesk API, with token access on.{keep}
          </p>
        </>
      )}
      <button type="submit">{submit}</button>
    </form>
  );
}

function RecentDeliveries(props: {
  workspaceId: string;
  provider: IntegrationProvider;
  deliveries: DeliveryView[];
}) {
  const name = PROVIDER_NAMES[props.provider];
  const all = `${settingsPath(props.workspaceId, 'deliveries')}?channel=${props.provider}`;
  return (
    <>
      <h3>Recent deliveries</h3>
      {props.deliveries.length === 0 ? (
        <p class="muted">Nothing sent to {name} yet.</p>
      ) : (
        <DeliveryTable
          workspaceId={props.workspaceId}
          deliveries={props.deliveries}
          columns={['to', 'status', 'code', 'error']}
        />
      )}
      <p>
        <a href={all}>All {name} deliveries</a>
      </p>
    </>
  );
}

function ProviderCard(props: {
  frame: SettingsFrame;
  provider: IntegrationProvider;
  view: IntegrationView | undefined;
  deliveries: DeliveryView[];
  state: CardState | undefined;
}) {
  const { provider, view } = props;
  const name = PROVIDER_NAMES[provider];
  const wsId = props.frame.ws.current.id;
  const base = `${settingsPath(wsId, 'integrations')}/${provider}`;
  const csrf = props.frame.ctx.csrf;
  return (
    <section class="card" id={provider} aria-labelledby={`${provider}-heading`}>
      <h2 id={`${provider}-heading`}>
        {name} <StatusBadge view={view} />
      </h2>
      <p class="muted">{DESCRIPTIONS[provider]}</p>
      {view?.status === 'needs_reconnect' ? (
        <div class="warning" role="alert">
          <p>
            <strong>Reconnect {name}</strong>: {view.statusDetail ?? `${name} refused the saved credentials.`}
          </p>
          <p>Nothing reaches {name} until new credentials are saved below.</p>
        </div>
      ) : null}
      {view ? <Saved view={view} /> : null}
      <FormError error={props.state?.error} />
      <ConnectForm provider={provider} action={base} csrf={csrf} view={view} draft={props.state?.draft} />
      {view ? (
        <ActionMenu summary={<>Disconnect {name}…</>}>
          <p>The saved credentials are deleted. Messages still waiting to be sent to {name} will fail.</p>
          <DeleteForm action={`${base}/disconnect`} csrf={csrf}>
            Disconnect {name}
          </DeleteForm>
        </ActionMenu>
      ) : null}
      <RecentDeliveries workspaceId={wsId} provider={provider} deliveries={props.deliveries} />
    </section>
  );
}

/** Who asked, for the audit log. */
function requestOrigin(c: Context, deps: Deps) {
  return { ip: clientIp(c, deps.config.trustProxy), userAgent: c.req.header('user-agent') ?? null };
}

type Status = SettingsStatus;

/** Workspace Settings > Integrations; mount at '/' (app.ts). */
export function createIntegrationRoutes(deps: Deps): Hono {
  const app = new Hono();
  const chains = dashboardChains(deps, 'settings');

  const page = async (
    c: Context,
    frame: SettingsFrame,
    states: Partial<Record<IntegrationProvider, CardState>> = {},
    status: Status = 200,
  ) => {
    const access = frame.ws.access;
    const views = await listIntegrations(deps, access);
    const recent = await Promise.all(
      INTEGRATION_PROVIDERS.map((p) => recentIntegrationDeliveries(deps, access, p, RECENT)),
    );
    return renderSettings(
      c,
      frame,
      { title: 'Integrations', tab: 'integrations', flashes: FLASH },
      INTEGRATION_PROVIDERS.map((provider, i) => (
        <ProviderCard
          frame={frame}
          provider={provider}
          view={views.find((v) => v.provider === provider)}
          deliveries={recent[i] ?? []}
          state={states[provider]}
        />
      )),
      status,
    );
  };

  app.get('/w/:ws/settings/integrations', ...chains.page, async (c) => page(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/integrations/:provider', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const provider = parseProvider(c.req.param('provider'));
    const { input, draft } = await readForm(c, provider);
    const origin = requestOrigin(c, deps);
    const result = await attempt(() => connectIntegration(deps, frame.ws.access, provider, input, origin));
    if (!result.ok) return page(c, frame, { [provider]: { error: result.error, draft } }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'integrations'), `${provider}-connected`);
  });

  app.post('/w/:ws/settings/integrations/:provider/disconnect', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const provider = parseProvider(c.req.param('provider'));
    const origin = requestOrigin(c, deps);
    await disconnectIntegration(deps, frame.ws.access, provider, origin);
    return redirectWithFlash(
      c,
      settingsPath(frame.ws.current.id, 'integrations'),
      `${provider}-disconnected`,
    );
  });

  return app;
}
