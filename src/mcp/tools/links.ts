import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Link } from '../../domain/types.ts';
import { LinkWireSchema, linkToWire, pagination } from '../../domain/wire.ts';
import type { Deps } from '../../services/deps.ts';
import {
  createLink,
  deleteLink,
  getLink,
  LinkFilterSchema,
  LinkInputSchema,
  listLinks,
  restoreLink,
  updateLink,
} from '../../services/links.ts';
import {
  idArg,
  linkLine,
  pageAnswer,
  pageOutput,
  pageRequest,
  pagingArgs,
  READ_ONLY,
  registerTool,
  workspaceIdArg,
} from '../tool-kit.ts';

// Recording links (PRODUCT.md §1, §4): any member reads, creates and updates them; deleting one takes
// an admin, the owner, or the link's creator (§2), which the service checks on every call (S40).

const linkIdArg = idArg('The recording link id (lnk_…)');
// The fields and their limits are the service's (services/links.ts LinkInputSchema); text follows
// the shared rule (domain/text-rules.ts, S38).
const input = LinkInputSchema.shape;
const linkFields = {
  title: input.title.describe('Becomes linkTitle'),
  reusable: input.reusable.describe('false (default): one recording; true: many'),
  providerType: input.providerType.describe('The support tool the link was made for, or null'),
  providerId: input.providerId.describe('Id in the support tool, e.g. a conversation id'),
  providerReference: input.providerReference.describe('A reference in the support tool, e.g. a ticket URL'),
  // The service measures the 10 KB limit on the serialised object and names `meta` when it is exceeded.
  meta: input.meta.describe('Free JSON object, at most 10 KB serialised'),
};
const filters = LinkFilterSchema.shape;

/** userplane_list_links, _get_link, _create_link, _update_link, _delete_link, _restore_link. */
export function registerLinkTools(server: McpServer, deps: Deps): void {
  const wire = (link: Link) => linkToWire(link, deps.config.publicUrl);

  registerTool(server, deps, {
    name: 'userplane_list_links',
    title: 'List recording links',
    description:
      'Recording links of a workspace, newest first. A link is the URL a customer opens to record their screen.',
    input: z.object({
      workspaceId: workspaceIdArg,
      project_id: filters.projectId.describe('Only links of this project'),
      created_by: filters.createdBy.describe('Only links created by this workspaceMemberId'),
      domain_id: filters.domainId.describe('Only links on this domain'),
      ...pagingArgs,
    }),
    output: pageOutput('links', LinkWireSchema),
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const page = await listLinks(deps, access, {
        ...pageRequest(args),
        projectId: args.project_id,
        createdBy: args.created_by,
        domainId: args.domain_id,
      });
      return pageAnswer('links', page.items.map(wire), pagination(page), linkLine);
    },
  });

  registerTool(server, deps, {
    name: 'userplane_get_link',
    title: 'Get a recording link',
    description: 'One recording link with its URL, project, domain and creator.',
    input: z.object({ workspaceId: workspaceIdArg, linkId: linkIdArg }),
    output: LinkWireSchema,
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const link = wire(await getLink(deps, access, args.linkId));
      return { structured: link, text: linkLine(link) };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_create_link',
    title: 'Create a recording link',
    description:
      "Creates a recording link on a verified domain (see userplane_list_domains with status 'verified') and returns it with linkURL, the URL to send to the customer.",
    input: z.object({
      workspaceId: workspaceIdArg,
      domainId: idArg('A verified domain of the workspace (dom_…)'),
      projectId: idArg("The project (prj_…); default: the workspace's default project").optional(),
      ...linkFields,
    }),
    output: LinkWireSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    async run(args, caller) {
      const { workspaceId, ...fields } = args;
      const link = wire(await createLink(deps, await caller.access(workspaceId), fields));
      return { structured: link, text: `Created ${linkLine(link)}` };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_update_link',
    title: 'Update a recording link',
    description:
      "Changes any of a link's title, reusable flag, provider fields (providerType, providerId, providerReference) or meta. Fields left out stay as they are; null clears a field.",
    input: z.object({
      workspaceId: workspaceIdArg,
      linkId: linkIdArg,
      ...linkFields,
    }),
    output: LinkWireSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    async run(args, caller) {
      const { workspaceId, linkId, ...patch } = args;
      const link = wire(await updateLink(deps, await caller.access(workspaceId), linkId, patch));
      return { structured: link, text: `Updated ${linkLine(link)}` };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_delete_link',
    title: 'Delete a recording link',
    description:
      "Deletes a recording link: customers can no longer record through it; recordings already made stay. It can be restored with userplane_restore_link for DELETED_RETENTION_DAYS (30 by default) days. Needs the admin or owner role, or being the link's creator.",
    input: z.object({ workspaceId: workspaceIdArg, linkId: linkIdArg }),
    output: z.object({ linkId: z.string(), deleted: z.literal(true) }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      await deleteLink(deps, access, args.linkId);
      return {
        structured: { linkId: args.linkId, deleted: true as const },
        text: `Deleted link ${args.linkId}.`,
      };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_restore_link',
    title: 'Restore a deleted recording link',
    description:
      "Brings a deleted recording link back, within the server's grace period after its deletion (DELETED_RETENTION_DAYS, 30 by default): customers can record through it again. Needs the admin or owner role, or being the link's creator.",
    input: z.object({ workspaceId: workspaceIdArg, linkId: linkIdArg }),
    output: LinkWireSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const link = wire(await restoreLink(deps, access, args.linkId));
      return { structured: link, text: `Restored ${linkLine(link)}` };
    },
  });
}
