import { type Context, Hono } from 'hono';
import { VERIFICATION_FILE_PATH, VERIFICATION_META_NAME } from '../../domain/domain-verification.ts';
import { can } from '../../domain/permissions.ts';
import type { Domain } from '../../domain/types.ts';
import type { Deps } from '../../services/deps.ts';
import { addDomain, deleteDomain, listDomains, verifyDomain } from '../../services/domains.ts';
import type { DashboardChains } from './chains.ts';
import { ActionMenu, DeleteForm } from './kit.tsx';
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
import { Time } from './shell.tsx';

// Workspace Settings > Domains (PRODUCT.md §6): the customer sites recording links belong to, how
// to verify each (a meta tag or a file), and, for owners and admins, adding, verifying and
// deleting them.

const DOMAIN_FLASH = {
  added: 'Domain added. Put the token on the site, then verify it.',
  verified: 'Domain verified: it can now carry recording links',
  deleted: 'Domain deleted',
};

function DomainsBody(props: {
  frame: SettingsFrame;
  domains: Domain[];
  publicUrl: string;
  error?: string | undefined;
  errorFor?: string | undefined;
  draft?: string | undefined;
}) {
  const { ctx, ws } = props.frame;
  const manage = can(ws.access.member.role, 'domain.manage');
  const base = settingsPath(ws.current.id, 'domains');
  return (
    <>
      <section class="card" aria-labelledby="domains-heading">
        <h2 id="domains-heading">Domains</h2>
        <p class="muted">
          The customer sites your recording links belong to. Only a verified domain can carry new links.
        </p>
        {props.domains.length === 0 ? (
          <p>
            No domains yet.{' '}
            {manage
              ? 'Add the site your customers use below, then verify it.'
              : 'Ask an owner or admin to add the site your customers use.'}
          </p>
        ) : (
          <ul class="domain-list">
            {props.domains.map((domain) => (
              <li class="domain">
                <h3>
                  {domain.host}{' '}
                  <span class={`badge ${domain.status === 'verified' ? 'verified' : 'unverified'}`}>
                    {domain.status === 'verified'
                      ? 'Verified'
                      : domain.status === 'pending'
                        ? 'Pending'
                        : 'Revoked'}
                  </span>
                </h3>
                {domain.status !== 'verified' && manage ? (
                  <div class="instructions">
                    <p>Prove you control {domain.host} with either of these, then press Verify:</p>
                    <ol>
                      <li>
                        Add this tag to the <code>&lt;head&gt;</code> of <code>https://{domain.host}/</code>:
                        <pre>
                          <code>{`<meta name="${VERIFICATION_META_NAME}" content="${domain.verificationToken}">`}</code>
                        </pre>
                      </li>
                      <li>
                        or serve a file at{' '}
                        <code>
                          https://{domain.host}
                          {VERIFICATION_FILE_PATH}
                        </code>{' '}
                        containing:
                        <pre>
                          <code>{domain.verificationToken}</code>
                        </pre>
                      </li>
                    </ol>
                    {props.errorFor === domain.id ? <FormError error={props.error} /> : null}
                    <form method="post" action={`${base}/${encodeURIComponent(domain.id)}/verify`}>
                      <input type="hidden" name="csrf" value={ctx.csrf} />
                      <button type="submit">
                        Verify<span class="sr-only"> {domain.host}</span>
                      </button>
                    </form>
                  </div>
                ) : null}
                {domain.status === 'verified' ? (
                  <p class="muted">
                    Verified <Time ms={domain.verifiedAt} />
                  </p>
                ) : null}
                {manage ? (
                  <ActionMenu
                    summary={
                      <>
                        Delete<span class="sr-only"> {domain.host}</span>…
                      </>
                    }
                  >
                    <p>Existing links keep working for recordings already made; new links cannot use it.</p>
                    <DeleteForm action={`${base}/${encodeURIComponent(domain.id)}/delete`} csrf={ctx.csrf}>
                      Delete {domain.host}
                    </DeleteForm>
                  </ActionMenu>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {manage ? (
        <section class="card" aria-labelledby="new-domain-heading">
          <h2 id="new-domain-heading">Add a domain</h2>
          <form method="post" action={base}>
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <label for="new-domain-url">Site</label>
            <input
              id="new-domain-url"
              type="text"
              name="url"
              required
              maxlength={300}
              placeholder="app.example.com"
              value={props.draft ?? ''}
            />
            {props.errorFor === 'new' ? <FormError error={props.error} /> : null}
            <button type="submit">Add domain</button>
          </form>
        </section>
      ) : (
        <p class="muted">Only owners and admins can add, verify or delete domains.</p>
      )}
      <p class="muted">
        Recording links open on <code>{props.publicUrl}</code>; the domain says which customer site they are
        for.
      </p>
    </>
  );
}

/** Domains: GET /w/:ws/settings/domains, add, verify and delete; mount at '/'. */
export function createDomainsRoutes(deps: Deps, chains: DashboardChains): Hono {
  const app = new Hono();

  // Domains.
  const domains = async (
    c: Context,
    frame: SettingsFrame,
    extra: { error?: string; errorFor?: string; draft?: string } = {},
    status: SettingsStatus = 200,
  ) => {
    const list = await listDomains(deps, frame.ws.access);
    return renderSettings(
      c,
      frame,
      { title: 'Domains', tab: 'domains', flashes: DOMAIN_FLASH },
      <DomainsBody frame={frame} domains={list} publicUrl={deps.config.publicUrl} {...extra} />,
      status,
    );
  };

  app.get('/w/:ws/settings/domains', ...chains.page, async (c) => domains(c, await loadSettings(c, deps)));

  app.post('/w/:ws/settings/domains', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const field = await formFields(c);
    const url = field('url', 300);
    const result = await attempt(() => addDomain(deps, frame.ws.access, { url }));
    if (!result.ok)
      return domains(c, frame, { error: result.error, errorFor: 'new', draft: url }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'added');
  });

  app.post('/w/:ws/settings/domains/:id/verify', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    const id = c.req.param('id');
    const result = await attempt(() => verifyDomain(deps, frame.ws.access, id));
    if (!result.ok) return domains(c, frame, { error: result.error, errorFor: id }, result.status);
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'verified');
  });

  app.post('/w/:ws/settings/domains/:id/delete', ...chains.form, async (c) => {
    const frame = await loadSettings(c, deps);
    await deleteDomain(deps, frame.ws.access, c.req.param('id'));
    return redirectWithFlash(c, settingsPath(frame.ws.current.id, 'domains'), 'deleted');
  });

  return app;
}
