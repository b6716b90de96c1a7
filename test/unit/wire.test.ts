import { describe, expect, it } from 'vitest';
import { LINK_PROVIDER_TYPES, type Link } from '../../src/domain/types.ts';
import {
  LinkEventSchema,
  LinkWireSchema,
  linkToEvent,
  linkToWire,
  PaginationSchema,
  ProviderTypeSchema,
  pagination,
} from '../../src/domain/wire.ts';

// domain/wire.ts: the one place links, pages and the provider list get their wire names (REST, MCP,
// the link.created webhook).

const link: Link = {
  id: 'lnk_1',
  workspaceId: 'ws_1',
  title: 'Ticket 4711',
  type: 'file',
  reusable: false,
  providerType: 'zendesk',
  providerId: 'zd-1',
  providerReference: 'https://acme.zendesk.com/tickets/1',
  meta: { ticket: 4711 },
  createdAt: Date.UTC(2026, 0, 5),
  updatedAt: Date.UTC(2026, 0, 6),
  deletedAt: null,
  project: { id: 'prj_1', title: 'Support' },
  creator: { memberId: 'mem_1', name: 'Ada' },
  domain: { id: 'dom_1', host: 'app.example.com', status: 'verified' },
};

describe('domain/wire.ts', () => {
  it('the provider enum is the domain list', () => {
    expect(ProviderTypeSchema.options).toEqual([...LINK_PROVIDER_TYPES]);
  });

  it('maps a link to the REST/MCP wire link, which its schema accepts', () => {
    const wire = linkToWire(link, 'https://up.example.com/');
    expect(LinkWireSchema.strict().parse(wire)).toEqual(wire);
    expect(wire).toMatchObject({
      linkId: 'lnk_1',
      linkProviderReference: 'https://acme.zendesk.com/tickets/1',
      linkURL: 'https://up.example.com/r/lnk_1',
      createdAt: '2026-01-05T00:00:00.000Z',
      project: { projectId: 'prj_1', title: 'Support' },
      creator: { workspaceMemberId: 'mem_1', name: 'Ada' },
      domain: { domainId: 'dom_1', url: 'app.example.com', status: 'verified' },
    });
  });

  it('link.created keeps its published fields, named as the wire link names them', () => {
    const event = linkToEvent(link, 'https://up.example.com');
    expect(LinkEventSchema.strict().parse(event)).toEqual(event);
    expect(Object.keys(event).sort()).toEqual(
      [
        'linkId',
        'linkTitle',
        'linkURL',
        'linkReusable',
        'linkProviderType',
        'linkProviderId',
        'linkProviderReference',
        'projectId',
        'creatorWorkspaceMemberId',
        'domain',
        'createdAt',
      ].sort(),
    );
    expect(event).toMatchObject({
      domain: 'app.example.com',
      projectId: 'prj_1',
      creatorWorkspaceMemberId: 'mem_1',
    });
  });

  it('pagination counts pages', () => {
    const p = pagination({ page: 2, perPage: 10, total: 21 });
    expect(PaginationSchema.parse(p)).toEqual({
      page: 2,
      perPage: 10,
      total: 21,
      totalPages: 3,
      hasMore: true,
    });
  });
});
