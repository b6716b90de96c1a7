import { Page } from '../views/layout.tsx';

// The consent screen (SECURITY.md S29): who is asking (name, icon, verified or not), where the
// answer goes (the redirect host, with a warning for loopback), and what it may do (the scope).
// The form contract is fixed (tests and tools rely on it): POST /authorize/decision with hidden
// `pending` and `csrf`, and the exact Allow / Deny buttons below.

export interface ConsentPageProps {
  clientName: string;
  /**
   * The client's icon. Shown only when it is a same-origin path or a data:image URI: the page's
   * Content-Security-Policy loads nothing from other origins (S27), so a remote logo must be
   * fetched by the server and passed inlined or through a same-origin route. Otherwise the
   * client's initial stands in for it.
   */
  logoUri: string | null;
  verified: boolean;
  verifiedVendor: string | null;
  redirectHost: string;
  loopbackRedirect: boolean;
  scope: string;
  userEmail: string;
  pendingId: string;
  csrf: string;
}

// Plain-language meaning of each scope we grant; unknown values are shown as they are.
const SCOPE_TEXT: Record<string, string> = {
  'mcp:tools':
    'Use Userplane tools on your behalf: read your recordings, links, projects and workspaces, and make the changes your role allows.',
};

/** True for icons the page may show under its CSP: a same-origin path or an inline raster/SVG image. */
export function displayableLogo(logoUri: string | null): string | null {
  if (!logoUri) return null;
  if (/^\/(?![/\\])/.test(logoUri) && !logoUri.includes('\\')) return logoUri;
  if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(logoUri)) return logoUri;
  return null;
}

/** The consent page for one pending authorization request. */
export function ConsentPage(props: ConsentPageProps) {
  const logo = displayableLogo(props.logoUri);
  const initial = Array.from(props.clientName.trim())[0]?.toUpperCase() ?? '?';
  const scopes = props.scope.split(' ').filter(Boolean);
  return (
    <Page title={`Allow ${props.clientName}?`} user={{ email: props.userEmail }} csrf={props.csrf}>
      <div class="card">
        <div class="client">
          {logo ? (
            <img src={logo} alt="" width="48" height="48" />
          ) : (
            <span class="avatar" aria-hidden="true">
              {initial}
            </span>
          )}
          <div>
            <div class="name">{props.clientName}</div>
            {props.verified ? (
              <span class="badge verified">
                {props.verifiedVendor ? `Verified: ${props.verifiedVendor}` : 'Verified'}
              </span>
            ) : (
              <span class="badge unverified">Unverified</span>
            )}
          </div>
        </div>
        <h1>{`${props.clientName} wants to access your Userplane account`}</h1>
        {props.verified ? null : (
          <p class="muted">
            Userplane has not verified who publishes this app: its name is whatever the app calls itself.
            Allow it only if you just started connecting it yourself.
          </p>
        )}
        <dl class="facts">
          <dt>Signed in as</dt>
          <dd>{props.userEmail}</dd>
          <dt>It will be sent back to</dt>
          <dd>
            <code>{props.redirectHost}</code>
          </dd>
          <dt>It will be able to</dt>
          {scopes.map((scope) => (
            <dd>
              <code>{scope}</code> — {SCOPE_TEXT[scope] ?? 'a permission Userplane does not describe'}
            </dd>
          ))}
        </dl>
        {props.loopbackRedirect ? (
          <p class="warning" role="alert">
            This app receives the answer on this computer ({props.redirectHost}). Any program running on this
            computer could be listening there: allow it only if you just started connecting an app on this
            device.
          </p>
        ) : null}
        <form method="post" action="/authorize/decision">
          <input type="hidden" name="pending" value={props.pendingId} />
          <input type="hidden" name="csrf" value={props.csrf} />
          <div class="actions">
            <button type="submit" name="decision" value="deny">
              Deny
            </button>
            <button type="submit" name="decision" value="allow">
              Allow
            </button>
          </div>
        </form>
      </div>
    </Page>
  );
}
