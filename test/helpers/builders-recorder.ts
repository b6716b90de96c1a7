import * as tus from 'tus-js-client';
import type { Deps } from '../../src/services/deps.ts';
import { teamWorkspace } from './builders.ts';
import { insertDomainRow, insertLinkRow } from './builders-recordings.ts';

// A workspace with a verified domain and a link, ready for the recorder's upload API; and the
// requests a recorder page or an embed script sends.

export const API = '/api/v1/recorder';

/** A team workspace, a verified domain `host` and a link on it (single-use unless `reusable`). */
export async function recorderLink(
  deps: Deps,
  options: { reusable?: boolean; host?: string; title?: string } = {},
) {
  const team = await teamWorkspace(deps);
  const host = options.host ?? `shop-${Math.random().toString(36).slice(2, 8)}.example.com`;
  const domainId = await insertDomainRow(deps, team.workspace.id, { host });
  const linkId = await insertLinkRow(deps, {
    workspaceId: team.workspace.id,
    projectId: team.defaultProject.id,
    domainId,
    creatorMemberId: team.memberIds.member!,
    reusable: options.reusable ?? false,
    ...(options.title ? { title: options.title } : {}),
  });
  return { ...team, host, domainId, linkId, origin: `https://${host}` };
}

/** The body of a start call for a video of `size` bytes. */
export function startBody(size: number, overrides: Record<string, unknown> = {}) {
  return {
    durationMs: 3_000,
    startedAt: Date.now(),
    notes: 'It breaks when I press Pay',
    systemMeta: {
      browser: 'Chromium 156',
      os: 'Linux',
      screen: { width: 1280, height: 800 },
      url: 'https://shop.example.com/cart',
      userAgent: 'test',
    },
    video: { type: 'video/webm;codecs=vp9', size },
    ...overrides,
  };
}

/** JSON POST/PUT init. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Uploads `data` with the real tus client to `base` (a listening server); resolves with the upload URL. */
export function tusUpload(
  base: string,
  token: string,
  data: Buffer,
  options: Partial<tus.UploadOptions> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: `${base}${API}/uploads`,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filetype: 'video/webm', filename: 'recording.webm' },
      retryDelays: [],
      ...options,
      onError: (error) => reject(error),
      onSuccess: () => resolve(upload.url ?? ''),
    });
    upload.start();
  });
}
