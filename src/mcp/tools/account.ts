import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { pagination } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import type { Deps } from '../../services/deps.ts';
import { getUser } from '../../services/profile.ts';
import { listMyWorkspaces } from '../../services/workspace-admin.ts';
import { PaginationSchema, pageLine, pagingArgs, READ_ONLY, registerTool } from '../tool-kit.ts';

// The caller and their workspaces: the two tools that need no workspaceId.

const RoleSchema = z.enum(['owner', 'admin', 'member']);

/** userplane_get_profile and userplane_list_workspaces. */
export function registerAccountTools(server: McpServer, deps: Deps): void {
  registerTool(server, deps, {
    name: 'userplane_get_profile',
    title: 'Get my profile',
    description: 'The signed-in Userplane user, with how many workspaces, links and recordings they have.',
    input: z.object({}),
    output: z.object({
      user: z.object({
        id: z.string(),
        name: z.string(),
        email: z.string(),
        emailVerified: z.boolean(),
        image: z.string().nullable(),
        createdAt: z.string(),
      }),
    }),
    annotations: READ_ONLY,
    async run(_args, caller) {
      // Only the user: the REST API's /public/me adds counts, which cost a scan per call here.
      const user = await getUser(deps, caller.userId);
      return {
        structured: {
          user: {
            id: user.id,
            name: user.name,
            email: user.email,
            emailVerified: user.emailVerified,
            image: user.image,
            createdAt: iso(user.createdAt),
          },
        },
        text: `${user.name} <${user.email}> (${user.id}).`,
      };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_list_workspaces',
    title: 'List my workspaces',
    description:
      "Workspaces the signed-in user belongs to, newest first, with the user's role in each. Use a workspaceId from here in every other tool.",
    input: z.object(pagingArgs),
    output: z.object({
      workspaces: z.array(
        z.object({
          workspaceId: z.string(),
          workspaceName: z.string(),
          role: RoleSchema.describe("The caller's role in this workspace"),
          workspaceMemberId: z.string(),
          workspaceJoinedAt: z.string(),
          createdAt: z.string(),
        }),
      ),
      pagination: PaginationSchema,
    }),
    annotations: READ_ONLY,
    async run(args, caller) {
      const page = await listMyWorkspaces(deps, caller.userId, { page: args.page, perPage: args.per_page });
      const workspaces = page.items.map(({ workspace, member }) => ({
        workspaceId: workspace.id,
        workspaceName: workspace.name,
        role: member.role,
        workspaceMemberId: member.id,
        workspaceJoinedAt: iso(member.joinedAt),
        createdAt: iso(workspace.createdAt),
      }));
      const p = pagination(page);
      const lines = workspaces.map((w) => `- ${w.workspaceId} "${w.workspaceName}" (your role: ${w.role})`);
      return {
        structured: { workspaces, pagination: p },
        text: [pageLine('workspaces', p, workspaces.length), ...lines].join('\n'),
      };
    },
  });
}
