import { html, raw } from 'hono/html';

// A readable reference of the REST API, rendered on the server from the same OpenAPI document the
// API publishes, so the two cannot drift. Self-contained: no scripts, fonts or styles from other
// origins.

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  path: string;
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Json }>;
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { description?: string }>;
}

function typeOf(schema: Json | undefined, components: Record<string, Json>): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? '';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as Json[]).map((s) => typeOf(s, components)).join(' | ');
  if (schema.type === 'array') return `${typeOf(schema.items as Json, components)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  return String(schema.type ?? 'object');
}

function resolve(schema: Json | undefined, components: Record<string, Json>): Json | undefined {
  if (schema && typeof schema.$ref === 'string') return components[schema.$ref.split('/').pop() ?? ''];
  return schema;
}

function fieldsTable(schema: Json | undefined, components: Record<string, Json>) {
  const resolved = resolve(schema, components);
  const properties = (resolved?.properties ?? {}) as Record<string, Json>;
  const required = new Set((resolved?.required ?? []) as string[]);
  const rows = Object.entries(properties);
  if (!rows.length) return html``;
  return html`<table>
    <thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead>
    <tbody>
      ${rows.map(
        ([name, prop]) =>
          html`<tr><td><code>${name}</code></td><td><code>${typeOf(prop, components)}</code></td><td>${required.has(name) ? 'yes' : 'no'}</td><td>${String(prop.description ?? (prop.maxLength ? `max ${prop.maxLength} characters` : ''))}</td></tr>`,
      )}
    </tbody>
  </table>`;
}

/** The HTML reference page for an OpenAPI 3.1 document. */
export function renderApiDocs(doc: Json): string {
  const components = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) operations.push({ method, path, ...(op as object) });
  }
  const tags = [...new Set(operations.map((o) => o.tags?.[0] ?? 'Other'))];
  const info = doc.info as { title: string; description?: string; version: string };
  const server = ((doc.servers as Array<{ url: string }> | undefined)?.[0]?.url ?? '/api/v1') as string;
  return String(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${info.title}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; background: #fafbfc; }
  main { max-width: 960px; margin: 0 auto; padding: 24px; }
  nav { margin: 16px 0 24px; } nav a { margin-right: 12px; }
  section.op { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
  .method { display: inline-block; min-width: 60px; font-weight: 700; text-transform: uppercase; }
  .get { color: #0b6e4f; } .post { color: #1d4ed8; } .put { color: #a16207; } .delete { color: #b91c1c; }
  code { font-family: ui-monospace, monospace; font-size: 13px; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef1f5; vertical-align: top; }
  h3 { margin: 0 0 4px; font-size: 15px; }
</style>
</head>
<body><main>
<h1>${info.title} <small>v${info.version}</small></h1>
<p>${info.description ?? ''}</p>
<p>Base URL: <code>${server}</code>. Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).
Successful responses are <code>{"message": "…", "data": {…}}</code>; errors are <code>{"error": "CODE", "message": "…"}</code>.
Limits: 120 requests a minute and 10,000 a day per user (429 <code>RATE_LIMITED</code> with <code>Retry-After</code>).</p>
<nav aria-label="Sections">${tags.map((tag) => html`<a href="#${tag.toLowerCase().replace(/\W+/g, '-')}">${tag}</a>`)}</nav>
${tags.map(
  (tag) => html`<h2 id="${tag.toLowerCase().replace(/\W+/g, '-')}">${tag}</h2>
  ${operations
    .filter((o) => (o.tags?.[0] ?? 'Other') === tag)
    .map((o) => {
      const body = o.requestBody?.content?.['application/json']?.schema;
      return html`<section class="op">
        <h3><span class="method ${o.method}">${o.method}</span> <code>${o.path}</code></h3>
        <p>${o.summary ?? ''}</p>
        ${
          o.parameters?.length
            ? html`<table><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Notes</th></tr></thead><tbody>
            ${o.parameters.map((p) => html`<tr><td><code>${p.name}</code>${p.required ? ' *' : ''}</td><td>${p.in}</td><td><code>${typeOf(p.schema, components)}</code></td><td>${p.description ?? ''}</td></tr>`)}
            </tbody></table>`
            : ''
        }
        ${body ? html`<p><strong>Body</strong> (JSON)</p>${fieldsTable(body, components)}` : ''}
        <p><strong>Responses:</strong> ${raw(
          Object.entries(o.responses ?? {})
            .map(
              ([status, r]) => `<code>${status}</code> ${String(r.description ?? '').replace(/[<>&]/g, '')}`,
            )
            .join(' · '),
        )}</p>
      </section>`;
    })}`,
)}
</main></body></html>`);
}
