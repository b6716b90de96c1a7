import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Domain, Member, Project } from '../../domain/types.ts';
import { DomainStatusSchema, pagination } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import type { Deps } from '../../services/deps.ts';
import { getDomain, listDomains } from '../../services/domains.ts';
import { listMembers } from '../../services/members.ts';
import { listProjects } from '../../services/projects.ts';
import {
  idArg,
  pageAnswer,
  pagedListTool,
  pageOf,
  pageOutput,
  pagingArgs,
  READ_ONLY,
  registerTool,
  workspaceIdArg,
} from '../tool-kit.ts';

// Reading a workspace's projects, domains and members (any member, PRODUCT.md §2).

const DomainSchema = z.object({
  domainId: z.string(),
  url: z.string().describe('The customer site, e.g. app.example.com'),
  status: DomainStatusSchema.describe('Only a verified domain can carry new links'),
  verifiedAt: z.string().nullable(),
  createdAt: z.string(),
});

const ProjectSchema = z.object({
  projectId: z.string(),
  title: z.string(),
  isDefault: z.boolean(),
  retentionDays: z.number().int().nullable().describe('Days after which new recordings expire'),
  maxRecordingSeconds: z
    .number()
    .int()
    .nullable()
    .describe('Longest new recording in seconds; null: the default, 180'),
  createdAt: z.string(),
});

const MemberSchema = z.object({
  workspaceMemberId: z.string().describe('Use as created_by in list filters'),
  name: z.string(),
  email: z.string(),
  workspaceRole: z.enum(['owner', 'admin', 'member']),
  workspaceJoinedAt: z.string(),
});

function domainToWire(domain: Domain): z.infer<typeof DomainSchema> {
  return {
    domainId: domain.id,
    url: domain.host,
    status: domain.status,
    verifiedAt: iso(domain.verifiedAt),
    createdAt: iso(domain.createdAt),
  };
}

/** userplane_list_projects, userplane_list_domains, userplane_get_domain, userplane_list_members. */
export function registerWorkspaceTools(server: McpServer, deps: Deps): void {
  registerTool(
    server,
    deps,
    pagedListTool({
      name: 'userplane_list_projects',
      title: 'List projects',
      description: 'Projects of a workspace, newest first. Recordings and links belong to a project.',
      key: 'projects',
      item: ProjectSchema,
      list: (access, page) => listProjects(deps, access, page),
      toWire: (p: Project) => ({
        projectId: p.id,
        title: p.title,
        isDefault: p.isDefault,
        retentionDays: p.retentionDays,
        maxRecordingSeconds: p.maxRecordingSeconds,
        createdAt: iso(p.createdAt),
      }),
      line: (x) =>
        `${x.projectId} "${x.title}"${x.isDefault ? ' (default)' : ''}${x.retentionDays === null ? '' : `, recordings expire after ${x.retentionDays} days`}${x.maxRecordingSeconds === null ? '' : `, recordings up to ${x.maxRecordingSeconds} s`}`,
    }),
  );

  registerTool(server, deps, {
    name: 'userplane_list_domains',
    title: 'List domains',
    description:
      'Customer sites (domains) of a workspace, newest first, optionally only those of one status. New recording links need a verified domain.',
    input: z.object({
      workspaceId: workspaceIdArg,
      status: DomainStatusSchema.optional().describe('Only domains of this status'),
      ...pagingArgs,
    }),
    output: pageOutput('domains', DomainSchema),
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      // A workspace has a handful of domains; the service returns them all and the tool pages them.
      const all = await listDomains(deps, access, { status: args.status });
      const page = pageOf(all, args.page, args.per_page);
      const domains = page.items.map(domainToWire);
      return pageAnswer('domains', domains, pagination(page), (d) => `${d.domainId} ${d.url} (${d.status})`);
    },
  });

  registerTool(server, deps, {
    name: 'userplane_get_domain',
    title: 'Get a domain',
    description: 'One domain (customer site) of a workspace and its verification status.',
    input: z.object({ workspaceId: workspaceIdArg, domainId: idArg('The domain id (dom_…)') }),
    output: DomainSchema,
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const domain = domainToWire(await getDomain(deps, access, args.domainId));
      return { structured: domain, text: `${domain.domainId} ${domain.url}: ${domain.status}.` };
    },
  });

  registerTool(
    server,
    deps,
    pagedListTool({
      name: 'userplane_list_members',
      title: 'List members',
      description: 'Members of a workspace with their roles (owner, admin, member), newest first.',
      key: 'members',
      item: MemberSchema,
      list: (access, page) => listMembers(deps, access, page),
      toWire: (m: Member) => ({
        workspaceMemberId: m.id,
        name: m.name,
        email: m.email,
        workspaceRole: m.role,
        workspaceJoinedAt: iso(m.joinedAt),
      }),
      line: (m) => `${m.workspaceMemberId} ${m.name} <${m.email}>: ${m.workspaceRole}`,
    }),
  );
}
